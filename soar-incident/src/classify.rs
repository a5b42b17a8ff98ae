//! What an incident finding is about, and how hard to respond.
//!
//! GuardDuty names the resource kind in its finding types
//! (`UnauthorizedAccess:EC2/SSHBruteForce`; in ASFF
//! `TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce`), so the
//! kind comes from the types: `EC2`, `IAMUser`, `S3` and `Kubernetes`
//! (EKS). Anything else, GuardDuty's own other kinds included, is
//! [`IncidentKind::Generic`]. The response comes from the severity, through
//! configurable lists ([`IncidentConfig`]).

use serde::{Deserialize, Serialize};
use soar_asff::{Finding, SeverityLabel};
use soar_core::{Decision, Scratchpad};

/// The kind of resource an incident is about, which picks its playbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IncidentKind {
    /// An EC2 instance (GuardDuty `EC2` types).
    #[serde(rename = "EC2")]
    Ec2,
    /// An IAM user's or role's credentials (GuardDuty `IAMUser` types).
    #[serde(rename = "IAMUser")]
    IamUser,
    /// An S3 bucket (GuardDuty `S3` types).
    #[serde(rename = "S3")]
    S3,
    /// An EKS cluster (GuardDuty `Kubernetes` types).
    #[serde(rename = "EKS")]
    Eks,
    /// Anything else: ticketed or notified, never contained automatically.
    Generic,
}

/// How hard to respond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// Contain, then terminate the resource (EC2 only; when the playbook is
    /// allowed to).
    Terminate,
    /// Contain the resource: quarantine an instance, deactivate keys, block
    /// public access.
    Contain,
    /// Tell the owners now; change nothing.
    Notify,
    /// Open a ticket; change nothing.
    Ticket,
}

/// The outcome of [`classify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "classification", rename_all = "snake_case")]
pub enum Classification {
    /// An incident to handle.
    Incident {
        /// What it is about.
        kind: IncidentKind,
        /// How hard to respond.
        response: Response,
        /// Why, in words: the type and severity that decided.
        reason: String,
    },
    /// Noise: suppress the finding.
    Suppress {
        /// Why.
        reason: String,
    },
}

/// The classification settings, with defaults for most organisations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentConfig {
    /// Severities at which an EC2 incident is contained and the instance
    /// terminated (when termination is allowed). Other kinds are contained.
    pub terminate_severities: Vec<SeverityLabel>,
    /// Severities at which the owners are notified and nothing is changed.
    pub notify_severities: Vec<SeverityLabel>,
    /// Severities at which a ticket is opened and nothing is changed.
    pub ticket_severities: Vec<SeverityLabel>,
    /// Products whose findings are never incidents, by `ProductName` or the
    /// last part of `ProductArn` (`inspector`), case-insensitive.
    pub ignored_products: Vec<String>,
    /// IAM Access Analyzer findings whose resource ID (an ARN) contains one
    /// of these are noise: access that AWS's own roles need. Only the
    /// resource ID is matched, never the title, and the defaults are the
    /// IAM paths AWS reserves (no one else can create a role under them):
    /// a pattern that is a role *name* (`stacksets-exec-`) can be chosen by
    /// whoever creates a role, and so would hide a backdoor named after it.
    pub access_analyzer_noise: Vec<String>,
    /// What the containment playbooks may do, and the names they use.
    pub containment: ContainmentSettings,
}

/// What the containment playbooks may do, and the names of what they make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContainmentSettings {
    /// Whether the reference deployment contains incidents on its own. Off
    /// by default, like auto-remediation: `soar-remediate` then only plans
    /// the playbook, and the incident's ticket carries the plan. (`soar
    /// incident` and [`crate::respond`] run when asked, whatever this says.)
    pub enabled: bool,
    /// The products whose findings a playbook acts on, by `ProductName` or
    /// the last part of `ProductArn`, case-insensitive. Any product that may
    /// call `BatchImportFindings` can send a finding with GuardDuty's types,
    /// so the playbooks trust only the products named here; another
    /// product's incident is escalated to a person.
    pub products: Vec<String>,
    /// Whether the EC2 playbook terminates an instance whose incident's
    /// response is [`Response::Terminate`]. Off by default: the instance is
    /// quarantined, its termination protection is turned off, and a person
    /// terminates it.
    pub terminate_instances: bool,
    /// The quarantine security group's name: one per VPC, created with no
    /// rules the first time an instance of that VPC is quarantined, reused
    /// afterwards.
    pub quarantine_group_name: String,
    /// The name of the inline policy that denies everything to sessions
    /// issued before the incident (`aws:TokenIssueTime`).
    pub revoke_sessions_policy_name: String,
}

impl Default for ContainmentSettings {
    fn default() -> Self {
        ContainmentSettings {
            enabled: false,
            products: vec!["guardduty".to_owned()],
            terminate_instances: false,
            quarantine_group_name: "soar-quarantine".to_owned(),
            revoke_sessions_policy_name: "soar-revoke-older-sessions".to_owned(),
        }
    }
}

impl Default for IncidentConfig {
    fn default() -> Self {
        IncidentConfig {
            terminate_severities: vec![SeverityLabel::Critical],
            notify_severities: vec![SeverityLabel::Medium],
            ticket_severities: vec![SeverityLabel::Low, SeverityLabel::Informational],
            ignored_products: Vec::new(),
            access_analyzer_noise: vec![
                // Service-linked roles, which AWS services create and assume.
                ":role/aws-service-role/".to_owned(),
                // IAM Identity Center's permission-set roles.
                ":role/aws-reserved/sso.amazonaws.com/".to_owned(),
            ],
            containment: ContainmentSettings::default(),
        }
    }
}

/// The GuardDuty finding types of `finding`, in GuardDuty's own form
/// (`UnauthorizedAccess:EC2/SSHBruteForce`), from its ASFF types
/// (`TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce`). ASFF
/// writes the `/` after the resource kind as `-`, and only the first one.
pub fn guardduty_types(finding: &Finding) -> Vec<String> {
    finding
        .types()
        .iter()
        .filter_map(|t| t.rsplit('/').next())
        .filter(|t| t.contains(':'))
        .map(|t| match t.split_once(':') {
            Some((purpose, rest)) => match rest.split_once('-') {
                Some((kind, name)) => format!("{purpose}:{kind}/{name}"),
                None => t.to_owned(),
            },
            None => t.to_owned(),
        })
        .collect()
}

/// The kind a GuardDuty finding type (`Purpose:Kind/Name`) is about.
pub fn kind_of_type(finding_type: &str) -> IncidentKind {
    let kind = finding_type
        .split_once(':')
        .map(|(_, rest)| rest.split(['/', '-']).next().unwrap_or(""))
        .unwrap_or("");
    match kind {
        "EC2" => IncidentKind::Ec2,
        "IAMUser" => IncidentKind::IamUser,
        "S3" => IncidentKind::S3,
        "Kubernetes" => IncidentKind::Eks,
        _ => IncidentKind::Generic,
    }
}

/// The finding's product: its `ProductName` and the last part of its
/// `ProductArn` (`guardduty`).
pub(crate) fn product_of(finding: &Finding) -> (String, String) {
    let by_arn = finding
        .product_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    (finding.product_name.clone().unwrap_or_default(), by_arn)
}

/// Classifies an incident finding: what it is about and how hard to
/// respond, or why it is noise.
///
/// ```
/// use soar_incident::{classify, Classification, IncidentConfig, IncidentKind, Response};
///
/// let finding = soar_asff::Finding::from_str(r#"{
///   "SchemaVersion": "2018-10-08", "Id": "gd-1", "AwsAccountId": "111111111111",
///   "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty",
///   "GeneratorId": "arn:aws:guardduty:us-east-1:111111111111:detector/d",
///   "Types": ["TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS"],
///   "CreatedAt": "2026-12-01T00:00:00Z", "UpdatedAt": "2026-12-01T00:00:00Z",
///   "Severity": {"Label": "CRITICAL"}, "Title": "t", "Description": "d",
///   "Resources": [{"Type": "AwsEc2Instance", "Id": "arn:aws:ec2:us-east-1:111111111111:instance/i-1"}]
/// }"#)?;
/// let Classification::Incident { kind, response, .. } = classify(&finding, &IncidentConfig::default()) else {
///     panic!("not an incident")
/// };
/// assert_eq!((kind, response), (IncidentKind::Ec2, Response::Terminate));
/// # Ok::<(), soar_asff::Error>(())
/// ```
pub fn classify(finding: &Finding, config: &IncidentConfig) -> Classification {
    let (name, by_arn) = product_of(finding);
    if let Some(ignored) = config
        .ignored_products
        .iter()
        .find(|p| p.eq_ignore_ascii_case(&name) || p.eq_ignore_ascii_case(&by_arn))
    {
        return Classification::Suppress {
            reason: format!("findings of product {ignored} are ignored (ignored_products)"),
        };
    }
    if by_arn == "access-analyzer" {
        for text in finding.resources.iter().map(|r| r.id.as_str()) {
            if let Some(pattern) = config
                .access_analyzer_noise
                .iter()
                .find(|p| !p.is_empty() && text.contains(p.as_str()))
            {
                return Classification::Suppress {
                    reason: format!(
                        "IAM Access Analyzer finding about {text}, which matches {pattern:?} (access_analyzer_noise)"
                    ),
                };
            }
        }
    }
    let types = guardduty_types(finding);
    let (kind, decided_by) = types
        .iter()
        .map(|t| (kind_of_type(t), t.as_str()))
        .find(|(kind, _)| *kind != IncidentKind::Generic)
        .unwrap_or((
            IncidentKind::Generic,
            types.first().map_or("", String::as_str),
        ));
    // No severity is no ground for changing anything: a ticket.
    let Some(severity) = finding.severity_label() else {
        let about = decided_by_text(decided_by);
        return Classification::Incident {
            kind,
            response: Response::Ticket,
            reason: format!("{about}, no severity"),
        };
    };
    let response = if config.ticket_severities.contains(&severity) {
        Response::Ticket
    } else if config.notify_severities.contains(&severity) {
        Response::Notify
    } else if kind == IncidentKind::Generic {
        // Nothing to contain without a playbook for the resource.
        Response::Notify
    } else if kind == IncidentKind::Ec2 && config.terminate_severities.contains(&severity) {
        Response::Terminate
    } else {
        Response::Contain
    };
    let about = decided_by_text(decided_by);
    Classification::Incident {
        kind,
        response,
        reason: format!("{about}, severity {}", severity.as_str()),
    }
}

/// What decided the kind, in words.
fn decided_by_text(decided_by: &str) -> String {
    if decided_by.is_empty() {
        "no GuardDuty type".to_owned()
    } else {
        format!("type {decided_by}")
    }
}

/// Classifies the finding of a Scratchpad that `soar-core` decided is an
/// incident, and records the classification: noise becomes a suppression
/// (decision `suppress_finding`, with the reason), and an incident gets its
/// kind and response added to the decision reason. Any other decision is
/// left alone: `None`.
///
/// ```
/// use soar_core::{Decision, Scratchpad};
/// use soar_incident::{classify_scratchpad, Classification, IncidentConfig};
///
/// let finding = soar_asff::Finding::from_str(r#"{
///   "SchemaVersion": "2018-10-08", "Id": "aa-1", "AwsAccountId": "111111111111",
///   "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/access-analyzer",
///   "GeneratorId": "aa", "Types": ["Effects/Data Exposure"],
///   "CreatedAt": "2026-12-01T00:00:00Z", "UpdatedAt": "2026-12-01T00:00:00Z",
///   "Severity": {"Label": "LOW"}, "Title": "AwsIamRole/AWSServiceRoleForSupport allows cross-account access",
///   "Description": "d", "Resources": [{"Type": "AwsIamRole", "Id": "arn:aws:iam::111111111111:role/aws-service-role/AWSServiceRoleForSupport"}]
/// }"#)?;
/// let mut pad = Scratchpad::new(finding);
/// pad.decision = Some(Decision::Incident);
/// let classification = classify_scratchpad(&mut pad, &IncidentConfig::default());
/// assert!(matches!(classification, Some(Classification::Suppress { .. })));
/// assert_eq!(pad.decision, Some(Decision::SuppressFinding));
/// assert!(pad.actions.suppress_finding);
/// # Ok::<(), soar_asff::Error>(())
/// ```
pub fn classify_scratchpad(
    pad: &mut Scratchpad,
    config: &IncidentConfig,
) -> Option<Classification> {
    if pad.decision != Some(Decision::Incident) {
        return None;
    }
    let classification = classify(&pad.finding, config);
    let said = match &classification {
        Classification::Suppress { reason } => {
            pad.decision = Some(Decision::SuppressFinding);
            pad.actions.suppress_finding = true;
            format!("noise, suppressed: {reason}")
        }
        Classification::Incident {
            kind,
            response,
            reason,
        } => format!(
            "{} incident, response {} ({reason})",
            kind.name(),
            response.name()
        ),
    };
    pad.decision_reason = Some(match pad.decision_reason.take() {
        Some(before) => format!("{before}; {said}"),
        None => said,
    });
    Some(classification)
}

impl IncidentKind {
    /// The kind's name, as it is serialised: `EC2`, `IAMUser`, `S3`, `EKS`,
    /// `Generic`.
    pub fn name(self) -> &'static str {
        match self {
            IncidentKind::Ec2 => "EC2",
            IncidentKind::IamUser => "IAMUser",
            IncidentKind::S3 => "S3",
            IncidentKind::Eks => "EKS",
            IncidentKind::Generic => "Generic",
        }
    }
}

impl Response {
    /// The response's name, as it is serialised: `terminate`, `contain`,
    /// `notify`, `ticket`.
    pub fn name(self) -> &'static str {
        match self {
            Response::Terminate => "terminate",
            Response::Contain => "contain",
            Response::Notify => "notify",
            Response::Ticket => "ticket",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(types: &[&str], label: SeverityLabel, product: &str) -> Finding {
        Finding {
            schema_version: "2018-10-08".to_owned(),
            id: "f".to_owned(),
            product_arn: format!("arn:aws:securityhub:us-east-1::product/aws/{product}"),
            generator_id: "g".to_owned(),
            aws_account_id: "111111111111".to_owned(),
            types: Some(types.iter().map(|t| (*t).to_owned()).collect()),
            created_at: "2026-12-01T00:00:00Z".to_owned(),
            updated_at: "2026-12-01T00:00:00Z".to_owned(),
            severity: Some(soar_asff::Severity::from_label(label)),
            title: "t".to_owned(),
            description: "d".to_owned(),
            ..Finding::default()
        }
    }

    #[test]
    fn asff_types_give_guardduty_types_and_their_kind() {
        let cases = [
            (
                "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce",
                "UnauthorizedAccess:EC2/SSHBruteForce",
                IncidentKind::Ec2,
            ),
            (
                "Unusual Behaviors/User/Recon:IAMUser-ResourcePermissions",
                "Recon:IAMUser/ResourcePermissions",
                IncidentKind::IamUser,
            ),
            (
                "TTPs/Discovery/Discovery:Kubernetes-MaliciousIPCaller",
                "Discovery:Kubernetes/MaliciousIPCaller",
                IncidentKind::Eks,
            ),
            (
                "Effects/Data Exfiltration/Exfiltration:S3-AnomalousBehavior",
                "Exfiltration:S3/AnomalousBehavior",
                IncidentKind::S3,
            ),
            (
                "TTPs/Execution/Execution:Runtime-NewBinaryExecuted",
                "Execution:Runtime/NewBinaryExecuted",
                IncidentKind::Generic,
            ),
        ];
        for (asff, native, kind) in cases {
            let f = finding(&[asff], SeverityLabel::High, "guardduty");
            assert_eq!(guardduty_types(&f), [native], "{asff}");
            assert_eq!(kind_of_type(native), kind, "{native}");
        }
        let control = finding(
            &["Software and Configuration Checks/Industry and Regulatory Standards"],
            SeverityLabel::High,
            "securityhub",
        );
        assert!(guardduty_types(&control).is_empty());
    }

    #[test]
    fn severity_lists_pick_the_response() {
        let config = IncidentConfig::default();
        let ec2 = ["TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS"];
        let iam = ["TTPs/Initial Access/UnauthorizedAccess:IAMUser-TorIPCaller"];
        let response =
            |types: &[&str], label| match classify(&finding(types, label, "guardduty"), &config) {
                Classification::Incident { response, .. } => response,
                other => panic!("{other:?}"),
            };
        assert_eq!(response(&ec2, SeverityLabel::Critical), Response::Terminate);
        assert_eq!(response(&ec2, SeverityLabel::High), Response::Contain);
        assert_eq!(response(&ec2, SeverityLabel::Medium), Response::Notify);
        assert_eq!(response(&ec2, SeverityLabel::Low), Response::Ticket);
        // Only instances are terminated.
        assert_eq!(response(&iam, SeverityLabel::Critical), Response::Contain);
        // Nothing to contain without a playbook.
        assert_eq!(
            response(
                &["Software and Configuration Checks/Vulnerabilities/CVE"],
                SeverityLabel::Critical
            ),
            Response::Notify
        );

        let strict = IncidentConfig {
            terminate_severities: vec![SeverityLabel::Critical, SeverityLabel::High],
            notify_severities: vec![],
            ..IncidentConfig::default()
        };
        let Classification::Incident { response, .. } =
            classify(&finding(&ec2, SeverityLabel::High, "guardduty"), &strict)
        else {
            panic!()
        };
        assert_eq!(response, Response::Terminate);
    }

    #[test]
    fn a_finding_without_severity_is_ticketed_whatever_the_lists_say() {
        let mut unrated = finding(
            &["TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS"],
            SeverityLabel::High,
            "guardduty",
        );
        unrated.severity = None;
        let config = IncidentConfig {
            ticket_severities: Vec::new(),
            notify_severities: Vec::new(),
            ..IncidentConfig::default()
        };
        assert!(matches!(
            classify(&unrated, &config),
            Classification::Incident { response: Response::Ticket, reason, .. } if reason.contains("no severity")
        ));
    }

    #[test]
    fn ignored_products_and_access_analyzer_noise_are_suppressed_with_the_reason() {
        let config = IncidentConfig {
            ignored_products: vec!["Inspector".to_owned()],
            ..IncidentConfig::default()
        };
        let inspector = finding(
            &["Software and Configuration Checks/Vulnerabilities/CVE"],
            SeverityLabel::Critical,
            "inspector",
        );
        assert!(
            matches!(classify(&inspector, &config), Classification::Suppress { reason } if reason.contains("Inspector"))
        );

        let mut analyzer = finding(&["Software and Configuration Checks/AWS Security Best Practices/External Access Granted"], SeverityLabel::Low, "access-analyzer");
        analyzer.resources = vec![soar_asff::Resource {
            resource_type: "AwsIamRole".to_owned(),
            id: "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123".to_owned(),
            ..soar_asff::Resource::default()
        }];
        assert!(
            matches!(classify(&analyzer, &config), Classification::Suppress { reason } if reason.contains("AWSReservedSSO_"))
        );
        analyzer.resources[0].id = "arn:aws:s3:::customer-data".to_owned();
        assert!(matches!(
            classify(&analyzer, &config),
            Classification::Incident { .. }
        ));
        // A role anyone could create with a name like AWS's is no noise,
        // whatever the title says.
        analyzer.resources[0].id =
            "arn:aws:iam::111111111111:role/stacksets-exec-backdoor".to_owned();
        analyzer.title =
            "AwsIamRole/AWSServiceRoleForSupport allows cross-account access".to_owned();
        assert!(matches!(
            classify(&analyzer, &config),
            Classification::Incident { .. }
        ));
    }
}
