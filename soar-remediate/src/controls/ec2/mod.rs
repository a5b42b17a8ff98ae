//! EC2 controls, and reading an EC2 resource's ID from a finding.
//!
//! EC2 has no modelled errors: every failure is a code in the error
//! metadata (`InvalidInstanceID.NotFound`, `UnauthorizedOperation`,
//! `RequestLimitExceeded`), which soar-core's error classes already know.

// One `mod` per control file in this directory, and `all()`, from build.rs.
include!(concat!(env!("OUT_DIR"), "/controls/ec2.rs"));

use soar_asff::Finding;

use crate::controls::{control_id, resource};
use crate::{ControlMeta, RemediationError};

/// The EC2 ID of the finding's resource of `meta.resource_type`: what
/// follows the last `/` of its ARN (`arn:aws:ec2:<region>:<account>:instance/i-0abc`),
/// or the resource ID itself when it is not an ARN.
pub(crate) fn ec2_id(finding: &Finding, meta: &ControlMeta) -> Result<String, RemediationError> {
    let resource = resource(finding, meta)?;
    let id = match soar_asff::Arn::parse(&resource.id) {
        Ok(arn) => arn
            .resource
            .rsplit_once('/')
            .map_or(arn.resource, |(_, id)| id),
        Err(_) => resource.id.as_str(),
    };
    if id.is_empty() || id.contains([':', '/']) {
        return Err(RemediationError::UnsupportedFinding {
            control_id: control_id(finding, meta.ids).to_owned(),
            reason: format!("cannot tell the EC2 resource ID from {:?}", resource.id),
        });
    }
    Ok(id.to_owned())
}

/// The instance `instance_id`, or a not-found error when EC2 does not
/// know it.
pub(crate) async fn instance(
    ctx: &crate::Context,
    instance_id: &str,
) -> Result<aws_sdk_ec2::types::Instance, RemediationError> {
    let output = ctx
        .ec2()
        .describe_instances()
        .instance_ids(instance_id)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeInstances", &e))?;
    output
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.instance_id() == Some(instance_id))
        .cloned()
        .ok_or_else(|| gone_instance(instance_id))
}

/// EC2 answers a terminated instance's ID for about an hour, and an empty
/// answer is as good as its `NotFound`: the error carries that code, so
/// `remediate` suppresses the finding when it is the finding's own account.
pub(crate) fn gone_instance(instance_id: &str) -> RemediationError {
    RemediationError::not_found(
        "DescribeInstances",
        format!("InvalidInstanceID.NotFound: instance {instance_id} does not exist"),
    )
}

/// The IAM actions of the controls that narrow a security group's ingress
/// (EC2.13, EC2.14, EC2.18, EC2.19).
pub(crate) const INGRESS_ACTIONS: &[&str] = &[
    "ec2:DescribeSecurityGroups",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupIngress",
];

/// When a resource a destructive control removes becomes due: `seconds`
/// after the finding was first seen failing (`FirstObservedAt`, else
/// `CreatedAt`), which is when Security Hub first saw it unused or stopped.
pub(crate) fn due_after(
    finding: &Finding,
    control: &str,
    seconds: i64,
) -> Result<soar_core::Timestamp, RemediationError> {
    let seen = finding
        .first_observed_at
        .as_deref()
        .unwrap_or(finding.created_at.as_str());
    let seen =
        soar_core::Timestamp::parse(seen).map_err(|e| RemediationError::UnsupportedFinding {
            control_id: control.to_owned(),
            reason: format!("cannot tell since when the control fails: {e}"),
        })?;
    Ok(soar_core::Timestamp(seen.0.saturating_add(seconds)))
}

/// The sources that let the whole internet in.
pub(crate) const WORLD_IPV4: &str = "0.0.0.0/0";
/// See [`WORLD_IPV4`].
pub(crate) const WORLD_IPV6: &str = "::/0";

/// Which world-open ports a security-group control objects to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Objection {
    /// One TCP port (EC2.13: 22, EC2.14: 3389).
    TcpPort(u16),
    /// The TCP ports of [`Settings::ec2_high_risk_ports`](crate::Settings::ec2_high_risk_ports) (EC2.19).
    HighRiskPorts,
    /// Every TCP and UDP port but those of
    /// [`Settings::ec2_authorized_tcp_ports`](crate::Settings::ec2_authorized_tcp_ports)
    /// and `ec2_authorized_udp_ports` (EC2.18).
    UnauthorizedPorts,
}

/// The transport protocols a rule's ports belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// TCP, IP protocol 6.
    Tcp,
    /// UDP, IP protocol 17.
    Udp,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

impl Objection {
    /// Whether the control objects to `port` of `transport` open to the world.
    pub(crate) fn objects(
        self,
        settings: &crate::Settings,
        transport: Transport,
        port: u16,
    ) -> bool {
        match self {
            Objection::TcpPort(objected) => transport == Transport::Tcp && port == objected,
            Objection::HighRiskPorts => {
                transport == Transport::Tcp && settings.ec2_high_risk_ports.contains(&port)
            }
            Objection::UnauthorizedPorts => match transport {
                Transport::Tcp => !settings.ec2_authorized_tcp_ports.contains(&port),
                Transport::Udp => !settings.ec2_authorized_udp_ports.contains(&port),
            },
        }
    }
}

/// A port range of one transport, inclusive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct PortRange {
    /// `tcp` or `udp`.
    pub(crate) protocol: String,
    /// The first port.
    pub(crate) from_port: i32,
    /// The last port.
    pub(crate) to_port: i32,
}

/// One ingress rule that lets the world in where the control objects, and
/// what replaces it: what a plan carries to `apply`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct OpenRule {
    /// The rule's IP protocol as EC2 names it (`tcp`, `udp`, `-1`).
    pub(crate) protocol: String,
    /// The rule's first port (`-1` for every protocol).
    pub(crate) from_port: Option<i32>,
    /// The rule's last port.
    pub(crate) to_port: Option<i32>,
    /// The world-open sources of the rule, `0.0.0.0/0` and or `::/0`, with
    /// their descriptions; the rule's other sources are not touched.
    pub(crate) world_sources: Vec<(String, Option<String>)>,
    /// The ranges the world keeps: the rule's ports the control does not
    /// object to. Empty when nothing of the rule may stay open.
    pub(crate) keep: Vec<PortRange>,
}

/// The ingress rules of `group` that are open to the world on ports the
/// control objects to.
pub(crate) fn open_rules(
    group: &aws_sdk_ec2::types::SecurityGroup,
    objection: Objection,
    settings: &crate::Settings,
) -> Vec<OpenRule> {
    let mut found = Vec::new();
    for permission in group.ip_permissions() {
        let world_sources: Vec<(String, Option<String>)> = permission
            .ip_ranges()
            .iter()
            .filter(|r| r.cidr_ip() == Some(WORLD_IPV4))
            .map(|r| (WORLD_IPV4.to_owned(), r.description().map(str::to_owned)))
            .chain(
                permission
                    .ipv6_ranges()
                    .iter()
                    .filter(|r| r.cidr_ipv6() == Some(WORLD_IPV6))
                    .map(|r| (WORLD_IPV6.to_owned(), r.description().map(str::to_owned))),
            )
            .collect();
        if world_sources.is_empty() {
            continue;
        }
        let protocol = permission.ip_protocol().unwrap_or("-1").to_owned();
        let transports: &[Transport] = match protocol.as_str() {
            "tcp" | "6" => &[Transport::Tcp],
            "udp" | "17" => &[Transport::Udp],
            "-1" => &[Transport::Tcp, Transport::Udp],
            // ICMP and the other protocols have no ports to object to.
            _ => continue,
        };
        let (from, to) = match protocol.as_str() {
            "-1" => (0, 65_535),
            _ => (
                permission.from_port().unwrap_or(0),
                permission.to_port().unwrap_or(65_535),
            ),
        };
        let ports = || (from.max(0)..=to.min(65_535)).filter_map(|p| u16::try_from(p).ok());
        let objected = transports
            .iter()
            .any(|t| ports().any(|p| objection.objects(settings, *t, p)));
        if !objected {
            continue;
        }
        // A kept range the group already opens to the same sources needs
        // no second rule; EC2 would refuse it as a duplicate.
        let keep = transports
            .iter()
            .flat_map(|t| kept_ranges(ports().filter(|p| !objection.objects(settings, *t, *p)), *t))
            .filter(|range| !already_open(group, range, &world_sources))
            .collect();
        found.push(OpenRule {
            protocol,
            from_port: permission.from_port(),
            to_port: permission.to_port(),
            world_sources,
            keep,
        });
    }
    found
}

/// Whether another rule of the group already opens `range` to every one of
/// `sources`.
fn already_open(
    group: &aws_sdk_ec2::types::SecurityGroup,
    range: &PortRange,
    sources: &[(String, Option<String>)],
) -> bool {
    group.ip_permissions().iter().any(|p| {
        p.ip_protocol() == Some(range.protocol.as_str())
            && p.from_port() == Some(range.from_port)
            && p.to_port() == Some(range.to_port)
            && sources.iter().all(|(cidr, _)| {
                p.ip_ranges().iter().any(|r| r.cidr_ip() == Some(cidr))
                    || p.ipv6_ranges().iter().any(|r| r.cidr_ipv6() == Some(cidr))
            })
    })
}

/// Consecutive ports, coalesced into ranges.
fn kept_ranges(ports: impl Iterator<Item = u16>, transport: Transport) -> Vec<PortRange> {
    let mut ranges: Vec<PortRange> = Vec::new();
    for port in ports.map(i32::from) {
        match ranges.last_mut() {
            Some(last) if last.to_port + 1 == port => last.to_port = port,
            _ => ranges.push(PortRange {
                protocol: transport.name().to_owned(),
                from_port: port,
                to_port: port,
            }),
        }
    }
    ranges
}

/// The permission that names exactly `sources` on `protocol` and the ports.
/// A revocation names the sources without their descriptions, which EC2
/// does not match on; an authorisation keeps them.
pub(crate) fn permission(
    protocol: &str,
    from_port: Option<i32>,
    to_port: Option<i32>,
    sources: &[(String, Option<String>)],
    with_descriptions: bool,
) -> aws_sdk_ec2::types::IpPermission {
    use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range};
    let mut builder = IpPermission::builder().ip_protocol(protocol);
    if protocol != "-1" {
        builder = builder.set_from_port(from_port).set_to_port(to_port);
    }
    for (cidr, description) in sources {
        let description = description.clone().filter(|_| with_descriptions);
        builder = if cidr == WORLD_IPV6 {
            builder.ipv6_ranges(
                Ipv6Range::builder()
                    .cidr_ipv6(cidr)
                    .set_description(description)
                    .build(),
            )
        } else {
            builder.ip_ranges(
                IpRange::builder()
                    .cidr_ip(cidr)
                    .set_description(description)
                    .build(),
            )
        };
    }
    builder.build()
}

/// The security group `group_id`, or a not-found error when it is gone.
pub(crate) async fn security_group(
    ctx: &crate::Context,
    group_id: &str,
) -> Result<aws_sdk_ec2::types::SecurityGroup, RemediationError> {
    let output = ctx
        .ec2()
        .describe_security_groups()
        .group_ids(group_id)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeSecurityGroups", &e))?;
    output
        .security_groups()
        .iter()
        .find(|g| g.group_id() == Some(group_id))
        .cloned()
        .ok_or_else(|| {
            RemediationError::not_found(
                "DescribeSecurityGroups",
                format!("InvalidGroup.NotFound: security group {group_id} does not exist"),
            )
        })
}

/// What uses the group: the first instance and the first network interface
/// found, by ID.
pub(crate) async fn group_users(
    ctx: &crate::Context,
    group_id: &str,
) -> Result<Vec<String>, RemediationError> {
    let mut found = Vec::new();
    let mut reservations = ctx
        .ec2()
        .describe_instances()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("instance.group-id")
                .values(group_id)
                .build(),
        )
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("instance-state-name")
                .set_values(Some(
                    ["pending", "running", "shutting-down", "stopping", "stopped"]
                        .map(str::to_owned)
                        .to_vec(),
                ))
                .build(),
        )
        .into_paginator()
        .items()
        .send();
    while let Some(reservation) = reservations.next().await {
        let reservation =
            reservation.map_err(|e| RemediationError::aws("DescribeInstances", &e))?;
        if let Some(id) = reservation.instances().iter().find_map(|i| i.instance_id()) {
            found.push(format!("instance {id}"));
            break;
        }
    }
    let mut interfaces = ctx
        .ec2()
        .describe_network_interfaces()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(group_id)
                .build(),
        )
        .into_paginator()
        .items()
        .send();
    if let Some(interface) = interfaces.next().await {
        let interface =
            interface.map_err(|e| RemediationError::aws("DescribeNetworkInterfaces", &e))?;
        let id = interface.network_interface_id().unwrap_or("(no ID)");
        let what = interface
            .description()
            .filter(|d| !d.is_empty())
            .map_or(String::new(), |d| format!(" ({d})"));
        found.push(format!("network interface {id}{what}"));
    }
    Ok(found)
}

/// Removes world access where the control objects, keeping every other
/// source of the same rules and the world's access to the ports it does
/// not object to. EC2.13, EC2.14, EC2.18 and EC2.19 share it; each file
/// gives its `META` and [`Objection`].
///
/// An "all traffic" rule (`-1`) keeps the world on the TCP and UDP ports
/// the control does not object to; ICMP and the other protocols are not
/// authorised again, since they have no ports to keep.
///
/// For each rule: revoke the world-open sources, then authorise them again
/// on the ports that may stay open. When that second call fails (a rules
/// quota, a throttle that outlasts the retries), the original sources are
/// authorised again, so a failed fix never leaves a group narrower or wider
/// than a plan says; the outcome is a ticket naming what happened.
pub(crate) struct CloseWorldIngress {
    /// The control's metadata.
    pub(crate) meta: &'static ControlMeta,
    /// The ports it objects to.
    pub(crate) objection: Objection,
}

impl CloseWorldIngress {
    fn describe_change(rule: &OpenRule, group_id: &str) -> String {
        let sources: Vec<&str> = rule.world_sources.iter().map(|(c, _)| c.as_str()).collect();
        let ports = match (rule.protocol.as_str(), rule.from_port, rule.to_port) {
            ("-1", _, _) => "all traffic".to_owned(),
            (p, Some(f), Some(t)) if f == t => format!("{p} {f}"),
            (p, Some(f), Some(t)) => format!("{p} {f}-{t}"),
            (p, _, _) => p.to_owned(),
        };
        let kept = if rule.keep.is_empty() {
            "nothing stays open to them".to_owned()
        } else {
            let ranges: Vec<String> = rule
                .keep
                .iter()
                .map(|r| match r.from_port == r.to_port {
                    true => format!("{} {}", r.protocol, r.from_port),
                    false => format!("{} {}-{}", r.protocol, r.from_port, r.to_port),
                })
                .collect();
            format!("they keep {}", ranges.join(", "))
        };
        format!(
            "remove {} from {ports} ingress of {group_id}; {kept}",
            sources.join(" and ")
        )
    }

    /// Revokes one rule's world sources and authorises what they keep; on a
    /// failed authorisation, puts the original sources back.
    async fn replace(
        ctx: &crate::Context,
        control: &str,
        group_id: &str,
        rule: &OpenRule,
    ) -> Result<(), RemediationError> {
        let revoked = permission(
            &rule.protocol,
            rule.from_port,
            rule.to_port,
            &rule.world_sources,
            false,
        );
        let original = permission(
            &rule.protocol,
            rule.from_port,
            rule.to_port,
            &rule.world_sources,
            true,
        );
        ctx.ec2()
            .revoke_security_group_ingress()
            .group_id(group_id)
            .ip_permissions(revoked)
            .send()
            .await
            .map_err(|e| RemediationError::aws("RevokeSecurityGroupIngress", &e))?;
        if rule.keep.is_empty() {
            return Ok(());
        }
        let reduced: Vec<_> = rule
            .keep
            .iter()
            .map(|r| {
                permission(
                    &r.protocol,
                    Some(r.from_port),
                    Some(r.to_port),
                    &rule.world_sources,
                    true,
                )
            })
            .collect();
        let Err(error) = ctx
            .ec2()
            .authorize_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(reduced))
            .send()
            .await
        else {
            return Ok(());
        };
        let why = RemediationError::aws("AuthorizeSecurityGroupIngress", &error);
        let restored = ctx
            .ec2()
            .authorize_security_group_ingress()
            .group_id(group_id)
            .ip_permissions(original)
            .send()
            .await;
        Err(RemediationError::CannotFix {
            control_id: control.to_owned(),
            reason: match restored {
                Ok(_) => format!(
                    "re-authorising the reduced rule of {group_id} failed ({why}); the original rule was put back"
                ),
                Err(e) => format!(
                    "re-authorising the reduced rule of {group_id} failed ({why}), and putting the original rule back failed too ({}): the world-open sources are removed from those ports entirely",
                    RemediationError::aws("AuthorizeSecurityGroupIngress", &e)
                ),
            },
        })
    }
}

#[async_trait::async_trait]
impl crate::Remediation for CloseWorldIngress {
    fn meta(&self) -> &'static ControlMeta {
        self.meta
    }

    async fn plan(
        &self,
        ctx: &crate::Context,
        finding: &Finding,
    ) -> Result<crate::Plan, RemediationError> {
        let control = control_id(finding, self.meta.ids);
        let group_id = ec2_id(finding, self.meta)?;
        let group = security_group(ctx, &group_id).await?;
        let rules = open_rules(&group, self.objection, &ctx.settings);
        if rules.is_empty() {
            return Ok(crate::Plan::compliant(control, group_id));
        }
        let mut changes = Vec::new();
        for rule in &rules {
            changes.push(crate::Plan::change(
                "ec2:RevokeSecurityGroupIngress",
                Self::describe_change(rule, &group_id),
            ));
            if !rule.keep.is_empty() {
                changes.push(crate::Plan::change(
                    "ec2:AuthorizeSecurityGroupIngress",
                    format!("authorise the kept ports of that rule again on {group_id}"),
                ));
            }
        }
        let data = serde_json::to_value(&rules).map_err(|e| RemediationError::InvalidPlan {
            control_id: control.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(crate::Plan::changes(
            control,
            group_id,
            changes,
            serde_json::json!({ "rules": data }),
        ))
    }

    async fn apply(
        &self,
        ctx: &crate::Context,
        plan: &crate::Plan,
    ) -> Result<crate::Outcome, RemediationError> {
        let rules: Vec<OpenRule> = plan.data_as("rules")?;
        let mut actions_taken = Vec::new();
        for rule in &rules {
            Self::replace(ctx, &plan.control_id, &plan.resource, rule).await?;
            actions_taken.push(format!(
                "{}.",
                Self::describe_change(rule, &plan.resource).replacen("remove", "Removed", 1)
            ));
        }
        Ok(crate::Outcome::Remediated { actions_taken })
    }

    async fn verify(
        &self,
        ctx: &crate::Context,
        finding: &Finding,
    ) -> Result<bool, RemediationError> {
        let group = security_group(ctx, &ec2_id(finding, self.meta)?).await?;
        Ok(open_rules(&group, self.objection, &ctx.settings).is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::finding_for;
    use crate::Service;

    const META: ControlMeta = ControlMeta {
        ids: &["EC2.8"],
        title: "t",
        service: Service::Ec2,
        resource_type: "AwsEc2Instance",
        iam_actions: &["ec2:DescribeInstances"],
        destructive: false,
        exemption_tag: None,
    };

    #[test]
    fn the_id_comes_from_the_arn_or_the_resource_id() {
        for (resource_id, expected) in [
            (
                "arn:aws:ec2:us-east-1:111111111111:instance/i-0abc",
                "i-0abc",
            ),
            (
                "arn:aws-cn:ec2:cn-north-1:111111111111:instance/i-0abc",
                "i-0abc",
            ),
            ("i-0abc", "i-0abc"),
        ] {
            let finding = finding_for("EC2.8", "AwsEc2Instance", resource_id);
            assert_eq!(ec2_id(&finding, &META).unwrap(), expected, "{resource_id}");
        }
    }

    #[test]
    fn an_unreadable_id_or_another_resource_type_is_refused_with_the_reason() {
        let finding = finding_for(
            "EC2.8",
            "AwsEc2Instance",
            "arn:aws:ec2:us-east-1:111111111111:instance/",
        );
        let error = ec2_id(&finding, &META).unwrap_err().to_string();
        assert!(error.contains("cannot tell the EC2 resource ID"), "{error}");
        let finding = finding_for("EC2.8", "AwsEc2Subnet", "subnet-1");
        let error = ec2_id(&finding, &META).unwrap_err().to_string();
        assert!(error.contains("no AwsEc2Instance resource"), "{error}");
    }
}

/// Fixtures of the security-group controls' tests.
#[cfg(test)]
pub(crate) mod sg_testing {
    use aws_sdk_ec2::operation::authorize_security_group_ingress::AuthorizeSecurityGroupIngressOutput;
    use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
    use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressOutput;
    use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, SecurityGroup};
    use aws_sdk_ec2::Client;
    use soar_asff::Finding;

    use crate::testkit::{finding_for, mock, Rule};

    /// The group every test is about.
    pub(crate) const GROUP: &str = "sg-0123456789abcdef0";

    /// A finding of `control` about [`GROUP`].
    pub(crate) fn finding(control: &str) -> Finding {
        finding_for(
            control,
            "AwsEc2SecurityGroup",
            &format!("arn:aws:ec2:us-east-1:111111111111:security-group/{GROUP}"),
        )
    }

    /// An ingress rule on `protocol` and ports from each of `sources`
    /// (IPv6 when the source has a colon).
    pub(crate) fn rule(
        protocol: &str,
        ports: Option<(i32, i32)>,
        sources: &[&str],
    ) -> IpPermission {
        let mut builder = IpPermission::builder().ip_protocol(protocol);
        if let Some((from, to)) = ports {
            builder = builder.from_port(from).to_port(to);
        }
        for source in sources {
            builder = if source.contains(':') {
                builder.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(*source).build())
            } else {
                builder.ip_ranges(IpRange::builder().cidr_ip(*source).build())
            };
        }
        builder.build()
    }

    fn group(rules: &[IpPermission]) -> DescribeSecurityGroupsOutput {
        DescribeSecurityGroupsOutput::builder()
            .security_groups(
                SecurityGroup::builder()
                    .group_id(GROUP)
                    .set_ip_permissions(Some(rules.to_vec()))
                    .build(),
            )
            .build()
    }

    /// DescribeSecurityGroups of [`GROUP`]: `before` for the plan, then
    /// `after` for every later read.
    pub(crate) fn described(before: Vec<IpPermission>, after: Vec<IpPermission>) -> Rule {
        mock!(Client::describe_security_groups)
            .match_requests(|r| r.group_ids() == [GROUP])
            .sequence()
            .output(move || group(&before))
            .output(move || group(&after))
            .repeatedly()
            .build()
    }

    /// A revocation of exactly `expected` from [`GROUP`].
    pub(crate) fn revoking(expected: IpPermission) -> Rule {
        mock!(Client::revoke_security_group_ingress)
            .match_requests(move |r| {
                r.group_id() == Some(GROUP) && r.ip_permissions() == [expected.clone()]
            })
            .then_output(|| {
                RevokeSecurityGroupIngressOutput::builder()
                    .r#return(true)
                    .build()
            })
    }

    /// An authorisation of exactly `expected` on [`GROUP`].
    pub(crate) fn authorizing(expected: Vec<IpPermission>) -> Rule {
        mock!(Client::authorize_security_group_ingress)
            .match_requests(move |r| {
                r.group_id() == Some(GROUP) && r.ip_permissions() == expected.as_slice()
            })
            .then_output(|| {
                AuthorizeSecurityGroupIngressOutput::builder()
                    .r#return(true)
                    .build()
            })
    }

    /// The cases every security-group control is tested on, in one run:
    /// the fix (`open` revoked, `narrowed` authorised, each once, within
    /// the declared IAM actions); a `compliant` group gets no write; a
    /// deleted group is suppressed; a denied revocation is a ticket with
    /// the reason; a throttled revocation is retried.
    pub(crate) async fn check_standard_cases(
        remediation: &super::CloseWorldIngress,
        open: IpPermission,
        narrowed: Vec<IpPermission>,
        compliant: IpPermission,
    ) {
        use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsError;
        use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressError;

        use crate::testkit::{
            assert_changes_declared, assert_least_privilege, aws_error, mock_context, RuleMode,
        };
        use crate::{remediate, Mode, Outcome, Report};

        let control = remediation.meta.ids[0];
        let run = |rules: Vec<&Rule>| {
            let (ctx, _) = mock_context(RuleMode::MatchAny, &rules);
            async move { remediate(remediation, &ctx, &finding(control), Mode::Apply).await }
        };
        let fails = |report: &Report, expected: &str| format!("{control}, {expected}: {report:?}");

        // The fix.
        let d = described(vec![open.clone()], narrowed.clone());
        let (revoke, authorize) = (revoking(open.clone()), authorizing(narrowed.clone()));
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &revoke, &authorize]);
        let report = remediate(remediation, &ctx, &finding(control), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{}",
            fails(&report, "remediated")
        );
        assert_eq!(
            (revoke.num_calls(), authorize.num_calls()),
            (1, 1),
            "{control}"
        );
        assert_least_privilege(remediation.meta, &recorder);
        assert_changes_declared(remediation.meta, &report.changes);

        // Already compliant.
        let d = described(vec![compliant.clone()], vec![compliant]);
        let revoke = revoking(open.clone());
        let report = run(vec![&d, &revoke]).await;
        assert_eq!(
            report.outcome,
            Outcome::AlreadyCompliant,
            "{}",
            fails(&report, "compliant")
        );
        assert_eq!(revoke.num_calls(), 0, "{control}");

        // Gone.
        let missing = mock!(Client::describe_security_groups).then_error(|| {
            DescribeSecurityGroupsError::generic(aws_error("InvalidGroup.NotFound", "gone"))
        });
        let report = run(vec![&missing]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("InvalidGroup.NotFound")),
            "{}",
            fails(&report, "suppressed")
        );

        // Denied.
        let d = described(vec![open.clone()], vec![open.clone()]);
        let denied = mock!(Client::revoke_security_group_ingress).then_error(|| {
            RevokeSecurityGroupIngressError::generic(aws_error("UnauthorizedOperation", "no"))
        });
        let report = run(vec![&d, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("RevokeSecurityGroupIngress failed (access denied)")),
            "{}",
            fails(&report, "ticket")
        );

        // Throttled.
        let d = described(vec![open.clone()], narrowed.clone());
        let expected = open.clone();
        let throttled = mock!(Client::revoke_security_group_ingress)
            .match_requests(move |r| r.ip_permissions() == [expected.clone()])
            .sequence()
            .error(|| {
                RevokeSecurityGroupIngressError::generic(aws_error("RequestLimitExceeded", "slow"))
            })
            .output(|| {
                RevokeSecurityGroupIngressOutput::builder()
                    .r#return(true)
                    .build()
            })
            .build();
        let authorize = authorizing(narrowed);
        let report = run(vec![&d, &throttled, &authorize]).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{}",
            fails(&report, "retried")
        );
        assert_eq!(throttled.num_calls(), 2, "{control}");
    }
}
