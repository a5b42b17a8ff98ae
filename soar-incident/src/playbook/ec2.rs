//! The EC2 compromise playbook.
//!
//! In this order, so that the evidence is kept before anything changes:
//!
//! 1. tag the instance with the finding ID ([`INCIDENT_TAG`]);
//! 2. snapshot every attached EBS volume, each snapshot tagged with the
//!    finding ID, the instance and the volume;
//! 3. create the quarantine security group of each VPC the instance's
//!    interfaces are in, with no ingress and no egress rule, or reuse it
//!    (and remove any rule someone added);
//! 4. make it the only group of every network interface of the instance;
//! 5. keep every EBS volume when the instance is terminated, whoever
//!    terminates it (a person, an Auto Scaling group replacing an instance
//!    that fails its health checks): the evidence outlives the instance;
//! 6. turn termination protection off, so that whoever ends the incident
//!    can terminate the instance;
//! 7. only when the response is terminate and
//!    [`ContainmentSettings::terminate_instances`] allows it: terminate.
//!
//! A second run plans only what is left: a tag already there, a volume
//! already snapshotted for this finding (a snapshot in `error` does not
//! count), an interface already isolated, volumes already kept and
//! protection already off are skipped.
//!
//! Security groups are stateful: a connection that is already tracked may
//! outlive the move to a group without rules, while every new one is
//! refused. Terminating (or stopping) the instance is what ends them all.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, EbsInstanceBlockDeviceSpecification, Filter, Instance,
    InstanceAttributeName, InstanceBlockDeviceMappingSpecification, InstanceStateName,
    ResourceType, SecurityGroup, Tag, TagSpecification,
};
use serde::Serialize;
use soar_asff::Finding;
use soar_remediate::{Context, RemediationError};

use super::{finding_tag, PlaybookError, PlaybookPlan, Run, Step};
use crate::classify::{ContainmentSettings, IncidentKind, Response};

/// The tag that names the finding an instance, or a forensic snapshot, is
/// evidence of.
pub const INCIDENT_TAG: &str = "soar:incident";

/// The tag of a forensic snapshot that names its instance.
const INSTANCE_TAG: &str = "soar:incident-instance";

/// The IAM actions of the EC2 playbook.
pub(crate) const IAM_ACTIONS: &[&str] = &[
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceAttribute",
    "ec2:DescribeSnapshots",
    "ec2:DescribeSecurityGroups",
    "ec2:CreateTags",
    "ec2:CreateSnapshot",
    "ec2:CreateSecurityGroup",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:ModifyNetworkInterfaceAttribute",
    "ec2:ModifyInstanceAttribute",
    "ec2:TerminateInstances",
];

/// A step of the EC2 compromise playbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Ec2Step {
    /// Tags the instance with [`INCIDENT_TAG`] and the finding ID.
    TagInstance {
        /// The instance.
        instance_id: String,
        /// The finding ID (cut to 256 characters).
        finding: String,
    },
    /// Snapshots one attached EBS volume for forensics.
    SnapshotVolume {
        /// The instance.
        instance_id: String,
        /// The volume.
        volume_id: String,
        /// Where it is attached (`/dev/xvda`).
        device: Option<String>,
        /// The finding ID the snapshot is tagged with.
        finding: String,
    },
    /// Creates the quarantine group of the VPC, or empties it of rules.
    QuarantineGroup {
        /// The VPC.
        vpc_id: String,
        /// The group's name.
        group_name: String,
        /// The group, when it exists already; created when `None`.
        group_id: Option<String>,
    },
    /// Makes the quarantine group a network interface's only group.
    IsolateInterface {
        /// The interface.
        interface_id: String,
        /// Its VPC, whose quarantine group it goes into.
        vpc_id: String,
        /// Its groups before, to restore by hand after the incident.
        groups_before: Vec<String>,
        /// The quarantine group, when it exists already; otherwise the one
        /// the `quarantine_group` step created.
        group_id: Option<String>,
    },
    /// Turns off the instance's termination protection.
    DisableTerminationProtection {
        /// The instance.
        instance_id: String,
    },
    /// Keeps the instance's EBS volumes when it is terminated, by anyone.
    KeepVolumes {
        /// The instance.
        instance_id: String,
        /// The devices whose volumes would otherwise be deleted with it.
        devices: Vec<String>,
    },
    /// Terminates the instance.
    TerminateInstance {
        /// The instance.
        instance_id: String,
    },
}

impl Ec2Step {
    pub(crate) fn action(&self) -> &'static str {
        match self {
            Ec2Step::TagInstance { .. } => "ec2:CreateTags",
            Ec2Step::SnapshotVolume { .. } => "ec2:CreateSnapshot",
            Ec2Step::QuarantineGroup { .. } => "ec2:CreateSecurityGroup",
            Ec2Step::IsolateInterface { .. } => "ec2:ModifyNetworkInterfaceAttribute",
            Ec2Step::DisableTerminationProtection { .. } | Ec2Step::KeepVolumes { .. } => {
                "ec2:ModifyInstanceAttribute"
            }
            Ec2Step::TerminateInstance { .. } => "ec2:TerminateInstances",
        }
    }

    pub(crate) fn description(&self) -> String {
        match self {
            Ec2Step::TagInstance { instance_id, .. } => {
                format!("Tag instance {instance_id} with {INCIDENT_TAG} and the finding ID.")
            }
            Ec2Step::SnapshotVolume {
                instance_id,
                volume_id,
                device,
                ..
            } => format!(
                "Snapshot volume {volume_id}{} of instance {instance_id} for forensics.",
                device
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ),
            Ec2Step::QuarantineGroup {
                vpc_id,
                group_name,
                group_id: None,
            } => format!(
                "Create security group {group_name} in {vpc_id} with no ingress and no egress rule."
            ),
            Ec2Step::QuarantineGroup {
                vpc_id,
                group_id: Some(id),
                ..
            } => format!("Remove every rule of quarantine group {id} in {vpc_id}."),
            Ec2Step::IsolateInterface {
                interface_id,
                groups_before,
                ..
            } => format!(
                "Move network interface {interface_id} from {} to the quarantine group alone.",
                if groups_before.is_empty() {
                    "no group".to_owned()
                } else {
                    groups_before.join(", ")
                }
            ),
            Ec2Step::DisableTerminationProtection { instance_id } => {
                format!("Turn off termination protection of instance {instance_id}.")
            }
            Ec2Step::KeepVolumes {
                instance_id,
                devices,
            } => format!(
                "Keep the volumes at {} when instance {instance_id} is terminated.",
                devices.join(", ")
            ),
            Ec2Step::TerminateInstance { instance_id } => {
                format!("Terminate instance {instance_id}.")
            }
        }
    }

    pub(crate) async fn run(&self, ctx: &Context, run: &mut Run) -> Result<String, PlaybookError> {
        let ec2 = ctx.ec2();
        match self {
            Ec2Step::TagInstance {
                instance_id,
                finding,
            } => {
                ec2.create_tags()
                    .resources(instance_id)
                    .tags(tag(INCIDENT_TAG, finding))
                    .send()
                    .await
                    .map_err(|e| RemediationError::aws("CreateTags", &e))?;
                Ok(format!(
                    "Tagged instance {instance_id} {INCIDENT_TAG}={finding}."
                ))
            }
            Ec2Step::SnapshotVolume {
                instance_id,
                volume_id,
                finding,
                ..
            } => {
                let tags = TagSpecification::builder()
                    .resource_type(ResourceType::Snapshot)
                    .tags(tag(INCIDENT_TAG, finding))
                    .tags(tag(INSTANCE_TAG, instance_id))
                    .tags(tag(
                        "Name",
                        &format!("soar forensics {instance_id} {volume_id}"),
                    ))
                    .build();
                let snapshot = ec2
                    .create_snapshot()
                    .volume_id(volume_id)
                    .description(
                        format!(
                        "soar: forensic snapshot of {volume_id} of {instance_id}, finding {finding}"
                    )
                        .chars()
                        .take(255)
                        .collect::<String>(),
                    )
                    .tag_specifications(tags)
                    .send()
                    .await
                    .map_err(|e| {
                        RemediationError::aws("CreateSnapshot", &e).about_another_resource()
                    })?;
                Ok(format!(
                    "Took snapshot {} of volume {volume_id}.",
                    snapshot.snapshot_id().unwrap_or("(no ID)")
                ))
            }
            Ec2Step::QuarantineGroup {
                vpc_id,
                group_name,
                group_id,
            } => {
                let (id, created) = match group_id {
                    Some(id) => (id.clone(), false),
                    None => create_group(ctx, vpc_id, group_name).await?,
                };
                let group = while_propagating(ctx, || describe_group(ctx, &id)).await?;
                let removed = remove_rules(ctx, &group).await?;
                run.quarantine_groups.insert(vpc_id.clone(), id.clone());
                Ok(if created {
                    format!("Created quarantine group {id} in {vpc_id}, with no rules.")
                } else {
                    format!("Removed {removed} rule(s) of quarantine group {id} in {vpc_id}.")
                })
            }
            Ec2Step::IsolateInterface {
                interface_id,
                vpc_id,
                groups_before,
                group_id,
            } => {
                let group = group_id
                    .clone()
                    .or_else(|| run.quarantine_groups.get(vpc_id).cloned())
                    .ok_or_else(|| PlaybookError::CannotContain {
                        resource: interface_id.clone(),
                        reason: format!("no quarantine group of {vpc_id} to move it to: the plan has no quarantine_group step for it before this one"),
                    })?;
                let isolate = || async {
                    ec2.modify_network_interface_attribute()
                        .network_interface_id(interface_id)
                        .groups(&group)
                        .send()
                        .await
                        .map(drop)
                        .map_err(|e| {
                            PlaybookError::from(RemediationError::aws(
                                "ModifyNetworkInterfaceAttribute",
                                &e,
                            ))
                        })
                };
                if group_id.is_some() {
                    isolate().await?;
                } else {
                    // A group made a moment ago may not be visible yet.
                    while_propagating(ctx, isolate).await?;
                }
                Ok(format!(
                    "Moved network interface {interface_id} into quarantine group {group} (its groups were: {}).",
                    if groups_before.is_empty() { "none".to_owned() } else { groups_before.join(", ") }
                ))
            }
            Ec2Step::DisableTerminationProtection { instance_id } => {
                ec2.modify_instance_attribute()
                    .instance_id(instance_id)
                    .disable_api_termination(AttributeBooleanValue::builder().value(false).build())
                    .send()
                    .await
                    .map_err(|e| RemediationError::aws("ModifyInstanceAttribute", &e))?;
                Ok(format!(
                    "Turned off termination protection of instance {instance_id}."
                ))
            }
            Ec2Step::KeepVolumes {
                instance_id,
                devices,
            } => {
                let mappings = devices
                    .iter()
                    .map(|device| {
                        InstanceBlockDeviceMappingSpecification::builder()
                            .device_name(device)
                            .ebs(
                                EbsInstanceBlockDeviceSpecification::builder()
                                    .delete_on_termination(false)
                                    .build(),
                            )
                            .build()
                    })
                    .collect();
                ec2.modify_instance_attribute()
                    .instance_id(instance_id)
                    .set_block_device_mappings(Some(mappings))
                    .send()
                    .await
                    .map_err(|e| RemediationError::aws("ModifyInstanceAttribute", &e))?;
                Ok(format!(
                    "Set the volumes at {} of instance {instance_id} to outlive it.",
                    devices.join(", ")
                ))
            }
            Ec2Step::TerminateInstance { instance_id } => {
                ec2.terminate_instances()
                    .instance_ids(instance_id)
                    .send()
                    .await
                    .map_err(|e| RemediationError::aws("TerminateInstances", &e))?;
                Ok(format!("Terminated instance {instance_id}."))
            }
        }
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

/// The instance ID of the finding's `AwsEc2Instance`: the end of its ARN
/// (`arn:aws:ec2:<region>:<account>:instance/i-0abc`), or the ID itself.
fn instance_id(finding: &Finding) -> Result<String, PlaybookError> {
    let resource = finding
        .resources
        .iter()
        .find(|r| r.resource_type == "AwsEc2Instance")
        .ok_or_else(|| PlaybookError::CannotContain {
            resource: finding.id.clone(),
            reason: "the finding names no AwsEc2Instance resource".to_owned(),
        })?;
    let id = resource.id.rsplit('/').next().unwrap_or_default();
    if !id.starts_with("i-") {
        return Err(PlaybookError::CannotContain {
            resource: resource.id.clone(),
            reason: "cannot tell the instance ID from it".to_owned(),
        });
    }
    Ok(id.to_owned())
}

async fn describe_instance(ctx: &Context, instance_id: &str) -> Result<Instance, RemediationError> {
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
        .ok_or_else(|| {
            RemediationError::not_found(
                "DescribeInstances",
                format!("InvalidInstanceID.NotFound: instance {instance_id} does not exist"),
            )
        })
}

/// The VPC's quarantine group, found by name.
async fn quarantine_group(
    ctx: &Context,
    vpc_id: &str,
    name: &str,
) -> Result<Option<SecurityGroup>, RemediationError> {
    let output = ctx
        .ec2()
        .describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .filters(Filter::builder().name("group-name").values(name).build())
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeSecurityGroups", &e))?;
    Ok(output
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some(name) && g.vpc_id() == Some(vpc_id))
        .cloned())
}

/// Calls `call` again while it fails with a not-found, as EC2 answers for a
/// moment about a security group it has just created (its API is
/// eventually consistent): at most `verify_attempts` calls, waiting as
/// `verify` does (`verify_delay_ms`, doubling).
async fn while_propagating<T, F, Fut>(ctx: &Context, mut call: F) -> Result<T, PlaybookError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, PlaybookError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(PlaybookError::Aws(error))
                if error.is_not_found() && attempt < ctx.settings.verify_attempts =>
            {
                attempt += 1;
                if !ctx.pause(ctx.settings.verify_delay(attempt)).await {
                    return Err(PlaybookError::Aws(error));
                }
            }
            other => return other,
        }
    }
}

async fn describe_group(ctx: &Context, group_id: &str) -> Result<SecurityGroup, PlaybookError> {
    let output = ctx
        .ec2()
        .describe_security_groups()
        .group_ids(group_id)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeSecurityGroups", &e))?;
    output
        .security_groups()
        .first()
        .cloned()
        .ok_or_else(|| PlaybookError::CannotContain {
            resource: group_id.to_owned(),
            reason: "the quarantine group disappeared while the playbook ran".to_owned(),
        })
}

/// Creates the quarantine group; `(id, true)`. When another run created
/// it first, `(its id, false)`.
async fn create_group(
    ctx: &Context,
    vpc_id: &str,
    name: &str,
) -> Result<(String, bool), PlaybookError> {
    let created = ctx
        .ec2()
        .create_security_group()
        .group_name(name)
        .vpc_id(vpc_id)
        .description("soar quarantine: no ingress, no egress")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .tags(tag("soar:managed", "quarantine"))
                .build(),
        )
        .send()
        .await;
    match created {
        Ok(output) => match output.group_id() {
            Some(id) => Ok((id.to_owned(), true)),
            None => Err(PlaybookError::CannotContain {
                resource: vpc_id.to_owned(),
                reason: format!("CreateSecurityGroup gave no group ID for {name}"),
            }),
        },
        Err(error) => {
            let error =
                RemediationError::aws("CreateSecurityGroup", &error).about_another_resource();
            if !error.to_string().contains("InvalidGroup.Duplicate") {
                return Err(error.into());
            }
            // Another run made it first: use that one.
            match quarantine_group(ctx, vpc_id, name).await? {
                Some(group) => Ok((group.group_id().unwrap_or_default().to_owned(), false)),
                None => Err(error.into()),
            }
        }
    }
}

/// Revokes every rule of `group`; how many there were. A new group has
/// one, the egress to everywhere that EC2 gives every group.
async fn remove_rules(ctx: &Context, group: &SecurityGroup) -> Result<usize, RemediationError> {
    let id = group.group_id().unwrap_or_default();
    let ingress = group.ip_permissions();
    let egress = group.ip_permissions_egress();
    if !ingress.is_empty() {
        ctx.ec2()
            .revoke_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(Some(ingress.to_vec()))
            .send()
            .await
            .map_err(|e| {
                RemediationError::aws("RevokeSecurityGroupIngress", &e).about_another_resource()
            })?;
    }
    if !egress.is_empty() {
        ctx.ec2()
            .revoke_security_group_egress()
            .group_id(id)
            .set_ip_permissions(Some(egress.to_vec()))
            .send()
            .await
            .map_err(|e| {
                RemediationError::aws("RevokeSecurityGroupEgress", &e).about_another_resource()
            })?;
    }
    Ok(ingress.len() + egress.len())
}

/// The volumes already snapshotted for this finding.
async fn snapshotted_volumes(
    ctx: &Context,
    finding: &str,
) -> Result<BTreeSet<String>, RemediationError> {
    let mut volumes = BTreeSet::new();
    let mut pages = ctx
        .ec2()
        .describe_snapshots()
        .owner_ids("self")
        .filters(
            Filter::builder()
                .name(format!("tag:{INCIDENT_TAG}"))
                .values(finding)
                .build(),
        )
        // A snapshot that failed is no evidence: take another.
        .filters(
            Filter::builder()
                .name("status")
                .values("pending")
                .values("completed")
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| RemediationError::aws("DescribeSnapshots", &e))?;
        volumes.extend(
            page.snapshots()
                .iter()
                .filter_map(|s| s.volume_id().map(str::to_owned)),
        );
    }
    Ok(volumes)
}

pub(crate) async fn plan(
    ctx: &Context,
    finding: &Finding,
    response: Response,
    settings: &ContainmentSettings,
) -> Result<PlaybookPlan, PlaybookError> {
    let instance_id = instance_id(finding)?;
    let instance = describe_instance(ctx, &instance_id).await?;
    let cannot = |reason: String| PlaybookError::CannotContain {
        resource: instance_id.clone(),
        reason,
    };
    let state = instance.state().and_then(|s| s.name());
    if matches!(
        state,
        Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
    ) {
        return Err(cannot(
            "the instance is terminated: there is nothing left to isolate or to snapshot"
                .to_owned(),
        ));
    }
    // Each interface goes into the quarantine group of its own VPC: with
    // multi-VPC attachments an instance's interfaces are in several.
    let interfaces: Vec<(String, String, Vec<String>)> = instance
        .network_interfaces()
        .iter()
        .filter_map(|interface| {
            let id = interface.network_interface_id()?;
            let vpc = interface.vpc_id().or(instance.vpc_id())?;
            let groups = interface
                .groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_owned))
                .collect();
            Some((id.to_owned(), vpc.to_owned(), groups))
        })
        .collect();
    if interfaces.is_empty() {
        return Err(cannot(
            "the instance has no network interface in a VPC, so no security group can isolate it"
                .to_owned(),
        ));
    }
    let tag_value = finding_tag(finding);
    let mut steps = Vec::new();
    let tagged = instance
        .tags()
        .iter()
        .any(|t| t.key() == Some(INCIDENT_TAG) && t.value() == Some(tag_value.as_str()));
    if !tagged {
        steps.push(Ec2Step::TagInstance {
            instance_id: instance_id.clone(),
            finding: tag_value.clone(),
        });
    }
    let snapshotted = snapshotted_volumes(ctx, &tag_value).await?;
    for mapping in instance.block_device_mappings() {
        let Some(volume_id) = mapping.ebs().and_then(|ebs| ebs.volume_id()) else {
            continue;
        };
        if !snapshotted.contains(volume_id) {
            steps.push(Ec2Step::SnapshotVolume {
                instance_id: instance_id.clone(),
                volume_id: volume_id.to_owned(),
                device: mapping.device_name().map(str::to_owned),
                finding: tag_value.clone(),
            });
        }
    }
    let vpcs: BTreeSet<&str> = interfaces.iter().map(|(_, vpc, _)| vpc.as_str()).collect();
    let mut groups: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for vpc_id in vpcs {
        let group = quarantine_group(ctx, vpc_id, &settings.quarantine_group_name).await?;
        let group_id = group.as_ref().and_then(|g| g.group_id()).map(str::to_owned);
        let has_rules = group.as_ref().is_some_and(|g| {
            !g.ip_permissions().is_empty() || !g.ip_permissions_egress().is_empty()
        });
        if group_id.is_none() || has_rules {
            steps.push(Ec2Step::QuarantineGroup {
                vpc_id: vpc_id.to_owned(),
                group_name: settings.quarantine_group_name.clone(),
                group_id: group_id.clone(),
            });
        }
        groups.insert(vpc_id, group_id);
    }
    for (interface_id, vpc_id, groups_before) in &interfaces {
        let group_id = groups.get(vpc_id.as_str()).cloned().flatten();
        let isolated = group_id
            .as_ref()
            .is_some_and(|id| *groups_before == [id.clone()]);
        if !isolated {
            steps.push(Ec2Step::IsolateInterface {
                interface_id: interface_id.clone(),
                vpc_id: vpc_id.clone(),
                groups_before: groups_before.clone(),
                group_id,
            });
        }
    }
    let devices: Vec<String> = instance
        .block_device_mappings()
        .iter()
        .filter(|m| m.ebs().and_then(|e| e.delete_on_termination()) != Some(false))
        .filter_map(|m| m.device_name().map(str::to_owned))
        .collect();
    if !devices.is_empty() {
        steps.push(Ec2Step::KeepVolumes {
            instance_id: instance_id.clone(),
            devices,
        });
    }
    let protected = ctx
        .ec2()
        .describe_instance_attribute()
        .instance_id(&instance_id)
        .attribute(InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeInstanceAttribute", &e))?
        .disable_api_termination()
        .and_then(|v| v.value())
        .unwrap_or(false);
    if protected {
        steps.push(Ec2Step::DisableTerminationProtection {
            instance_id: instance_id.clone(),
        });
    }
    let mut notes = Vec::new();
    match response {
        Response::Terminate if settings.terminate_instances => {
            steps.push(Ec2Step::TerminateInstance {
                instance_id: instance_id.clone(),
            });
        }
        Response::Terminate => notes.push(format!(
            "Instance {instance_id} is quarantined, not terminated: terminate_instances is off. Terminate it once the investigation is done; its volumes are kept."
        )),
        _ => notes.push(format!(
            "Instance {instance_id} is quarantined and still running: stop or terminate it once the investigation is done; its volumes are kept."
        )),
    }
    if let Some(group) = instance
        .tags()
        .iter()
        .find(|t| t.key() == Some("aws:autoscaling:groupName"))
        .and_then(|t| t.value())
    {
        notes.push(format!(
            "Instance {instance_id} belongs to Auto Scaling group {group}, which will replace it once it fails its health checks: detach it from the group to keep it for the investigation."
        ));
    }
    Ok(PlaybookPlan {
        kind: IncidentKind::Ec2,
        response,
        resource: instance_id,
        steps: steps.into_iter().map(Step::Ec2).collect(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::create_security_group::{
        CreateSecurityGroupError, CreateSecurityGroupOutput,
    };
    use aws_sdk_ec2::operation::create_snapshot::{CreateSnapshotError, CreateSnapshotOutput};
    use aws_sdk_ec2::operation::create_tags::{CreateTagsError, CreateTagsOutput};
    use aws_sdk_ec2::operation::describe_instance_attribute::DescribeInstanceAttributeOutput;
    use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
    use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
    use aws_sdk_ec2::operation::describe_snapshots::DescribeSnapshotsOutput;
    use aws_sdk_ec2::operation::modify_instance_attribute::{
        ModifyInstanceAttributeError, ModifyInstanceAttributeOutput,
    };
    use aws_sdk_ec2::operation::modify_network_interface_attribute::{
        ModifyNetworkInterfaceAttributeError, ModifyNetworkInterfaceAttributeOutput,
    };
    use aws_sdk_ec2::operation::revoke_security_group_egress::{
        RevokeSecurityGroupEgressError, RevokeSecurityGroupEgressOutput,
    };
    use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressOutput;
    use aws_sdk_ec2::operation::terminate_instances::{
        TerminateInstancesError, TerminateInstancesOutput,
    };
    use aws_sdk_ec2::types::{
        EbsInstanceBlockDevice, GroupIdentifier, InstanceBlockDeviceMapping,
        InstanceNetworkInterface, InstanceState, IpPermission, IpRange, Reservation, Snapshot,
    };
    use aws_sdk_ec2::Client;
    use soar_asff::SeverityLabel;
    use soar_core::Scratchpad;
    use soar_remediate::iam::OperationRecorder;
    use soar_remediate::testkit::{aws_error, mock, mock_context, Rule, RuleMode};

    use super::*;
    use crate::playbook::testing::{guardduty, resource};
    use crate::playbook::{apply, plan as plan_for, PlaybookOutcome, PlaybookReport, StepStatus};

    const INSTANCE: &str = "i-0123456789abcdef0";
    const VPC: &str = "vpc-1";
    const QUARANTINE: &str = "sg-quarantine";

    fn finding() -> Finding {
        guardduty(
            "Command and Control/Backdoor:EC2-C&CActivity.B!DNS",
            SeverityLabel::High,
            vec![resource(
                "AwsEc2Instance",
                &format!("arn:aws:ec2:us-east-1:111111111111:instance/{INSTANCE}"),
            )],
        )
    }

    /// What the account looks like before the playbook runs.
    #[derive(Clone)]
    struct World {
        tagged: bool,
        snapshotted: Vec<&'static str>,
        /// The quarantine group, and whether it has rules.
        group: Option<bool>,
        interface_groups: Vec<&'static str>,
        protected: bool,
        /// Whether the volumes already outlive the instance.
        kept: bool,
        state: InstanceStateName,
    }

    /// An instance under attack: two volumes, one interface in a web group,
    /// termination protection on, no quarantine group yet.
    fn compromised() -> World {
        World {
            tagged: false,
            snapshotted: Vec::new(),
            group: None,
            interface_groups: vec!["sg-web"],
            protected: true,
            kept: false,
            state: InstanceStateName::Running,
        }
    }

    /// The same instance after a complete run.
    fn contained() -> World {
        World {
            tagged: true,
            snapshotted: vec!["vol-root", "vol-data"],
            group: Some(false),
            interface_groups: vec![QUARANTINE],
            protected: false,
            kept: true,
            state: InstanceStateName::Running,
        }
    }

    fn everywhere() -> IpPermission {
        IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build()
    }

    fn group(rules: bool) -> SecurityGroup {
        let mut group = SecurityGroup::builder()
            .group_id(QUARANTINE)
            .group_name("soar-quarantine")
            .vpc_id(VPC);
        if rules {
            group = group.ip_permissions_egress(everywhere());
        }
        group.build()
    }

    fn instance(world: &World) -> Instance {
        let volume = |device: &str, id: &str| {
            InstanceBlockDeviceMapping::builder()
                .device_name(device)
                .ebs(
                    EbsInstanceBlockDevice::builder()
                        .volume_id(id)
                        .delete_on_termination(!world.kept)
                        .build(),
                )
                .build()
        };
        let mut interface = InstanceNetworkInterface::builder().network_interface_id("eni-1");
        for id in &world.interface_groups {
            interface = interface.groups(GroupIdentifier::builder().group_id(*id).build());
        }
        let mut instance = Instance::builder()
            .instance_id(INSTANCE)
            .vpc_id(VPC)
            .state(InstanceState::builder().name(world.state.clone()).build())
            .block_device_mappings(volume("/dev/xvda", "vol-root"))
            .block_device_mappings(volume("/dev/sdf", "vol-data"))
            .network_interfaces(interface.build());
        if world.tagged {
            instance = instance.tags(tag(INCIDENT_TAG, &finding().id));
        }
        instance.build()
    }

    /// The mocked EC2 API of `world`; the write named `failing` is denied.
    struct Api {
        reads: Vec<Rule>,
        tag: Rule,
        snapshot: Rule,
        create_group: Rule,
        revoke_egress: Rule,
        isolate: Rule,
        modify_instance: Rule,
        terminate: Rule,
    }

    impl Api {
        fn new(world: &World, failing: Option<&'static str>) -> Self {
            let denied = move |op: &str| failing == Some(op);
            let error = || {
                aws_error(
                    "UnauthorizedOperation",
                    "You are not authorized to perform this operation.",
                )
            };
            let described = instance(world);
            let snapshots: Vec<Snapshot> = world
                .snapshotted
                .iter()
                .map(|v| {
                    Snapshot::builder()
                        .snapshot_id(format!("snap-{v}"))
                        .volume_id(*v)
                        .build()
                })
                .collect();
            let existing = world.group.map(group);
            let protected = world.protected;
            let reads = vec![
                mock!(Client::describe_instances)
                    .match_requests(|r| r.instance_ids() == [INSTANCE])
                    .then_output(move || {
                        DescribeInstancesOutput::builder()
                            .reservations(
                                Reservation::builder().instances(described.clone()).build(),
                            )
                            .build()
                    }),
                mock!(Client::describe_snapshots)
                    .match_requests(|r| {
                        r.owner_ids() == ["self"]
                            && r.filters().iter().any(|f| {
                                f.name() == Some("tag:soar:incident")
                                    && f.values() == [finding().id]
                            })
                            // A failed snapshot is no evidence.
                            && r.filters().iter().any(|f| {
                                f.name() == Some("status") && f.values() == ["pending", "completed"]
                            })
                    })
                    .then_output(move || {
                        DescribeSnapshotsOutput::builder()
                            .set_snapshots(Some(snapshots.clone()))
                            .build()
                    }),
                // The group by name, as the plan looks for it.
                mock!(Client::describe_security_groups)
                    .match_requests(|r| !r.filters().is_empty())
                    .then_output(move || {
                        DescribeSecurityGroupsOutput::builder()
                            .set_security_groups(existing.clone().map(|g| vec![g]))
                            .build()
                    }),
                // The group by ID: a new group has EC2's egress to everywhere.
                mock!(Client::describe_security_groups)
                    .match_requests(|r| r.group_ids() == [QUARANTINE])
                    .then_output(|| {
                        DescribeSecurityGroupsOutput::builder()
                            .security_groups(group(true))
                            .build()
                    }),
                mock!(Client::describe_instance_attribute)
                    .match_requests(|r| r.instance_id() == Some(INSTANCE))
                    .then_output(move || {
                        DescribeInstanceAttributeOutput::builder()
                            .disable_api_termination(
                                AttributeBooleanValue::builder().value(protected).build(),
                            )
                            .build()
                    }),
                mock!(Client::revoke_security_group_ingress)
                    .then_output(|| RevokeSecurityGroupIngressOutput::builder().build()),
            ];
            let tag = if denied("CreateTags") {
                mock!(Client::create_tags).then_error(move || CreateTagsError::generic(error()))
            } else {
                mock!(Client::create_tags)
                    .match_requests(|r| {
                        r.resources() == [INSTANCE]
                            && r.tags()[0].key() == Some(INCIDENT_TAG)
                            && r.tags()[0].value() == Some(finding().id.as_str())
                    })
                    .then_output(|| CreateTagsOutput::builder().build())
            };
            let snapshot = if denied("CreateSnapshot") {
                mock!(Client::create_snapshot)
                    .then_error(move || CreateSnapshotError::generic(error()))
            } else {
                mock!(Client::create_snapshot)
                    .match_requests(|r| {
                        let tags = r.tag_specifications()[0].tags();
                        tags.iter().any(|t| {
                            t.key() == Some(INCIDENT_TAG)
                                && t.value() == Some(finding().id.as_str())
                        }) && tags
                            .iter()
                            .any(|t| t.key() == Some(INSTANCE_TAG) && t.value() == Some(INSTANCE))
                    })
                    .then_output(|| {
                        CreateSnapshotOutput::builder()
                            .snapshot_id("snap-new")
                            .build()
                    })
            };
            let create_group = if denied("CreateSecurityGroup") {
                mock!(Client::create_security_group)
                    .then_error(move || CreateSecurityGroupError::generic(error()))
            } else {
                mock!(Client::create_security_group)
                    .match_requests(|r| {
                        r.vpc_id() == Some(VPC) && r.group_name() == Some("soar-quarantine")
                    })
                    .then_output(|| {
                        CreateSecurityGroupOutput::builder()
                            .group_id(QUARANTINE)
                            .build()
                    })
            };
            let revoke_egress = if denied("RevokeSecurityGroupEgress") {
                mock!(Client::revoke_security_group_egress)
                    .then_error(move || RevokeSecurityGroupEgressError::generic(error()))
            } else {
                mock!(Client::revoke_security_group_egress)
                    .match_requests(|r| {
                        r.group_id() == Some(QUARANTINE) && r.ip_permissions() == [everywhere()]
                    })
                    .then_output(|| RevokeSecurityGroupEgressOutput::builder().build())
            };
            let isolate = if denied("ModifyNetworkInterfaceAttribute") {
                mock!(Client::modify_network_interface_attribute)
                    .then_error(move || ModifyNetworkInterfaceAttributeError::generic(error()))
            } else {
                mock!(Client::modify_network_interface_attribute)
                    .match_requests(|r| {
                        r.network_interface_id() == Some("eni-1") && r.groups() == [QUARANTINE]
                    })
                    .then_output(|| ModifyNetworkInterfaceAttributeOutput::builder().build())
            };
            let modify_instance = if denied("ModifyInstanceAttribute") {
                mock!(Client::modify_instance_attribute)
                    .then_error(move || ModifyInstanceAttributeError::generic(error()))
            } else {
                mock!(Client::modify_instance_attribute)
                    .match_requests(|r| {
                        r.instance_id() == Some(INSTANCE)
                            && (r.disable_api_termination().and_then(|v| v.value()) == Some(false)
                                || r.block_device_mappings().iter().all(|m| {
                                    m.ebs().and_then(|e| e.delete_on_termination()) == Some(false)
                                }) && r.block_device_mappings().len() == 2)
                    })
                    .then_output(|| ModifyInstanceAttributeOutput::builder().build())
            };
            let terminate = if denied("TerminateInstances") {
                mock!(Client::terminate_instances)
                    .then_error(move || TerminateInstancesError::generic(error()))
            } else {
                mock!(Client::terminate_instances)
                    .match_requests(|r| r.instance_ids() == [INSTANCE])
                    .then_output(|| TerminateInstancesOutput::builder().build())
            };
            Api {
                reads,
                tag,
                snapshot,
                create_group,
                revoke_egress,
                isolate,
                modify_instance,
                terminate,
            }
        }

        fn rules(&self) -> Vec<&Rule> {
            let mut rules: Vec<&Rule> = self.reads.iter().collect();
            rules.extend([
                &self.tag,
                &self.snapshot,
                &self.create_group,
                &self.revoke_egress,
                &self.isolate,
                &self.modify_instance,
                &self.terminate,
            ]);
            rules
        }

        fn writes(&self) -> [usize; 7] {
            [
                self.tag.num_calls(),
                self.snapshot.num_calls(),
                self.create_group.num_calls(),
                self.revoke_egress.num_calls(),
                self.isolate.num_calls(),
                self.modify_instance.num_calls(),
                self.terminate.num_calls(),
            ]
        }
    }

    async fn run_with(
        api: &Api,
        response: Response,
        settings: &ContainmentSettings,
    ) -> (PlaybookReport, OperationRecorder) {
        run_before(&[], api, response, settings).await
    }

    /// [`run_with`], with `first` answering before the API's own rules.
    async fn run_before(
        first: &[&Rule],
        api: &Api,
        response: Response,
        settings: &ContainmentSettings,
    ) -> (PlaybookReport, OperationRecorder) {
        let mut rules = first.to_vec();
        rules.extend(api.rules());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &rules);
        let report = match plan_for(&ctx, &finding(), IncidentKind::Ec2, response, settings).await {
            Ok(plan) => apply(&ctx, plan).await,
            Err(error) => panic!("no plan: {error}"),
        };
        (report, recorder)
    }

    fn statuses(report: &PlaybookReport) -> Vec<(&'static str, &'static str)> {
        report
            .steps
            .iter()
            .map(|s| {
                let status = match s.status {
                    StepStatus::Done { .. } => "done",
                    StepStatus::Failed { .. } => "failed",
                    StepStatus::NotRun => "not_run",
                };
                (s.action, status)
            })
            .collect()
    }

    #[tokio::test]
    async fn a_compromised_instance_is_tagged_snapshotted_isolated_and_unprotected_once_each() {
        let api = Api::new(&compromised(), None);
        let (report, recorder) =
            run_with(&api, Response::Contain, &ContainmentSettings::default()).await;
        assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
        // Tag, two snapshots, the group and its default egress, the
        // interface, the volumes kept, protection; nothing terminated.
        assert_eq!(api.writes(), [1, 2, 1, 1, 1, 2, 0]);
        assert_eq!(
            statuses(&report),
            [
                ("ec2:CreateTags", "done"),
                ("ec2:CreateSnapshot", "done"),
                ("ec2:CreateSnapshot", "done"),
                ("ec2:CreateSecurityGroup", "done"),
                ("ec2:ModifyNetworkInterfaceAttribute", "done"),
                ("ec2:ModifyInstanceAttribute", "done"),
                ("ec2:ModifyInstanceAttribute", "done"),
            ]
        );
        let undeclared = recorder.undeclared(IAM_ACTIONS);
        assert!(undeclared.is_empty(), "undeclared: {undeclared:?}");
        let mut pad = Scratchpad::new(finding());
        report.record(&mut pad);
        assert!(pad
            .messages
            .actions_taken
            .contains("Took snapshot snap-new of volume vol-data."));
        assert!(pad
            .messages
            .actions_taken
            .contains("(its groups were: sg-web)"));
        assert!(!pad.actions.autoremediation_not_done);
        assert!(
            pad.messages.actions_required.contains("still running"),
            "{}",
            pad.messages.actions_required
        );
    }

    #[tokio::test]
    async fn a_contained_instance_needs_no_write() {
        let api = Api::new(&contained(), None);
        let (report, _) = run_with(&api, Response::Contain, &ContainmentSettings::default()).await;
        assert_eq!(report.outcome, PlaybookOutcome::Contained);
        assert!(report.steps.is_empty(), "{report:#?}");
        assert_eq!(api.writes(), [0; 7]);
    }

    #[tokio::test]
    async fn a_quarantine_group_someone_gave_a_rule_is_emptied_and_reused() {
        let world = World {
            group: Some(true),
            ..compromised()
        };
        let api = Api::new(&world, None);
        let (report, _) = run_with(&api, Response::Contain, &ContainmentSettings::default()).await;
        assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
        assert_eq!(api.create_group.num_calls(), 0);
        assert_eq!(api.revoke_egress.num_calls(), 1);
        assert!(report.steps[3]
            .description
            .starts_with("Remove every rule of quarantine group sg-quarantine"));
    }

    #[tokio::test]
    async fn termination_keeps_the_volumes_and_happens_only_when_allowed() {
        let api = Api::new(&compromised(), None);
        let (report, _) =
            run_with(&api, Response::Terminate, &ContainmentSettings::default()).await;
        assert_eq!(api.terminate.num_calls(), 0);
        assert!(
            report.notes[0].contains("terminate_instances is off"),
            "{:?}",
            report.notes
        );

        let allowed = ContainmentSettings {
            terminate_instances: true,
            ..ContainmentSettings::default()
        };
        let api = Api::new(&compromised(), None);
        let (report, _) = run_with(&api, Response::Terminate, &allowed).await;
        assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
        // The volumes kept, protection off, then the termination.
        assert_eq!(api.modify_instance.num_calls(), 2);
        assert_eq!(api.terminate.num_calls(), 1);
        let last: Vec<&str> = report
            .steps
            .iter()
            .rev()
            .take(2)
            .map(|s| s.action)
            .collect();
        assert_eq!(
            last,
            ["ec2:TerminateInstances", "ec2:ModifyInstanceAttribute"]
        );

        // A contain response never terminates, whatever the setting.
        let api = Api::new(&compromised(), None);
        run_with(&api, Response::Contain, &allowed).await;
        assert_eq!(api.terminate.num_calls(), 0);
    }

    #[tokio::test]
    async fn each_failing_step_stops_the_playbook_and_escalates_with_what_is_left() {
        let allowed = ContainmentSettings {
            terminate_instances: true,
            ..ContainmentSettings::default()
        };
        // The write that fails, the index of its step, and the writes made.
        let cases: [(&str, usize, [usize; 7]); 6] = [
            ("CreateTags", 0, [1, 0, 0, 0, 0, 0, 0]),
            ("CreateSnapshot", 1, [1, 1, 0, 0, 0, 0, 0]),
            ("CreateSecurityGroup", 3, [1, 2, 1, 0, 0, 0, 0]),
            ("ModifyNetworkInterfaceAttribute", 4, [1, 2, 1, 1, 1, 0, 0]),
            // Keeping the volumes is the first instance change.
            ("ModifyInstanceAttribute", 5, [1, 2, 1, 1, 1, 1, 0]),
            ("TerminateInstances", 7, [1, 2, 1, 1, 1, 2, 1]),
        ];
        for (failing, at, writes) in cases {
            let api = Api::new(&compromised(), Some(failing));
            let (report, _) = run_with(&api, Response::Terminate, &allowed).await;
            assert_eq!(api.writes(), writes, "{failing}");
            let PlaybookOutcome::Escalated { reason } = &report.outcome else {
                panic!("{failing}: {report:#?}")
            };
            assert!(
                reason.contains(failing) && reason.contains("access denied"),
                "{failing}: {reason}"
            );
            for (index, step) in report.steps.iter().enumerate() {
                let expected = match index.cmp(&at) {
                    std::cmp::Ordering::Less => "done",
                    std::cmp::Ordering::Equal => "failed",
                    std::cmp::Ordering::Greater => "not_run",
                };
                assert_eq!(
                    statuses(&report)[index].1,
                    expected,
                    "{failing}: step {index} {step:?}"
                );
            }
            let mut pad = Scratchpad::new(finding());
            report.record(&mut pad);
            assert!(pad.actions.autoremediation_not_done, "{failing}");
            assert!(
                pad.messages.actions_required.contains("Still to do:"),
                "{failing}"
            );
            assert!(
                pad.messages
                    .actions_required
                    .contains(&report.steps[at].description),
                "{failing}"
            );
            if at > 0 {
                assert!(
                    pad.messages.actions_taken.contains(INCIDENT_TAG),
                    "{failing}: {}",
                    pad.messages.actions_taken
                );
            }
        }
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried_by_the_sdk() {
        let api = Api::new(&compromised(), None);
        let throttled = mock!(Client::create_tags)
            .sequence()
            .error(|| CreateTagsError::generic(aws_error("RequestLimitExceeded", "slow down")))
            .output(|| CreateTagsOutput::builder().build())
            .build();
        let settings = ContainmentSettings::default();
        let (report, _) = run_before(&[&throttled], &api, Response::Contain, &settings).await;
        assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
        assert_eq!(throttled.num_calls(), 2);
    }

    #[tokio::test]
    async fn a_group_another_run_created_first_is_used() {
        let api = Api::new(&compromised(), None);
        // Not there when planned; there when the create is refused.
        let by_name = mock!(Client::describe_security_groups)
            .match_requests(|r| !r.filters().is_empty())
            .sequence()
            .output(|| DescribeSecurityGroupsOutput::builder().build())
            .output(|| {
                DescribeSecurityGroupsOutput::builder()
                    .security_groups(group(false))
                    .build()
            })
            .build();
        let duplicate = mock!(Client::create_security_group).then_error(|| {
            CreateSecurityGroupError::generic(aws_error(
                "InvalidGroup.Duplicate",
                "The security group 'soar-quarantine' already exists for VPC 'vpc-1'",
            ))
        });
        let settings = ContainmentSettings::default();
        let first = [&by_name, &duplicate];
        let (report, _) = run_before(&first, &api, Response::Contain, &settings).await;
        assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
        assert_eq!(duplicate.num_calls(), 1);
        // The interface went into that group.
        assert_eq!(api.isolate.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_new_group_ec2_does_not_show_yet_is_waited_for() {
        let api = Api::new(&compromised(), None);
        let by_id = mock!(Client::describe_security_groups)
            .match_requests(|r| r.group_ids() == [QUARANTINE])
            .sequence()
            .error(|| {
                aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsError::generic(
                    aws_error("InvalidGroup.NotFound", "The security group 'sg-quarantine' does not exist"),
                )
            })
            .output(|| DescribeSecurityGroupsOutput::builder().security_groups(group(true)).build())
            .build();
        let settings = ContainmentSettings::default();
        let (report, _) = run_before(&[&by_id], &api, Response::Contain, &settings).await;
        assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
        assert_eq!(by_id.num_calls(), 2);
        assert_eq!(api.revoke_egress.num_calls(), 1);
    }

    #[tokio::test]
    async fn each_interface_goes_into_the_quarantine_group_of_its_own_vpc() {
        let api = Api::new(&compromised(), None);
        // A second interface, attached from another VPC.
        let mut instance = instance(&compromised());
        instance
            .network_interfaces
            .get_or_insert_with(Vec::new)
            .push(
                InstanceNetworkInterface::builder()
                    .network_interface_id("eni-2")
                    .vpc_id("vpc-2")
                    .groups(GroupIdentifier::builder().group_id("sg-other").build())
                    .build(),
            );
        let described = mock!(Client::describe_instances).then_output(move || {
            DescribeInstancesOutput::builder()
                .reservations(Reservation::builder().instances(instance.clone()).build())
                .build()
        });
        let create_second = mock!(Client::create_security_group)
            .match_requests(|r| r.vpc_id() == Some("vpc-2"))
            .then_output(|| {
                CreateSecurityGroupOutput::builder()
                    .group_id("sg-q2")
                    .build()
            });
        let second = mock!(Client::describe_security_groups)
            .match_requests(|r| r.group_ids() == ["sg-q2"])
            .then_output(|| {
                DescribeSecurityGroupsOutput::builder()
                    .security_groups(
                        SecurityGroup::builder()
                            .group_id("sg-q2")
                            .vpc_id("vpc-2")
                            .build(),
                    )
                    .build()
            });
        let isolate_second = mock!(Client::modify_network_interface_attribute)
            .match_requests(|r| {
                r.network_interface_id() == Some("eni-2") && r.groups() == ["sg-q2"]
            })
            .then_output(|| ModifyNetworkInterfaceAttributeOutput::builder().build());
        let settings = ContainmentSettings::default();
        let first = [&described, &create_second, &second, &isolate_second];
        let (report, _) = run_before(&first, &api, Response::Contain, &settings).await;
        assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
        assert_eq!(
            (api.create_group.num_calls(), create_second.num_calls()),
            (1, 1)
        );
        assert_eq!(
            (api.isolate.num_calls(), isolate_second.num_calls()),
            (1, 1)
        );
    }

    /// Why the EC2 playbook cannot be planned against `rules`.
    async fn plan_error(rules: &[&Rule]) -> String {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        let settings = ContainmentSettings::default();
        match plan_for(
            &ctx,
            &finding(),
            IncidentKind::Ec2,
            Response::Contain,
            &settings,
        )
        .await
        {
            Ok(plan) => panic!("planned {plan:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[tokio::test]
    async fn a_missing_or_terminated_instance_cannot_be_contained() {
        let terminated = World {
            state: InstanceStateName::Terminated,
            ..compromised()
        };
        let api = Api::new(&terminated, None);
        let error = plan_error(&api.rules()).await;
        assert!(error.contains("the instance is terminated"), "{error}");
        let nothing = mock!(Client::describe_instances)
            .then_output(|| DescribeInstancesOutput::builder().build());
        let error = plan_error(&[&nothing]).await;
        assert!(error.contains("InvalidInstanceID.NotFound"), "{error}");
    }
}
