//! Every EventBridge event soar parses, as one normalised [`SecurityEvent`],
//! and as the ASFF findings the pipeline decides on ([`findings_of`]).
//!
//! Security Hub events already carry ASFF findings. Native GuardDuty
//! findings become the finding GuardDuty's Security Hub integration would
//! send (product `aws/guardduty`, `TTPs/<tactic>/<type>`), CloudWatch alarms
//! become findings as [`crate::alarm_finding`] says, and CloudTrail events
//! become findings of the account's default product, with a severity from
//! who acted and whether it worked:
//! - the root user, `HIGH`;
//! - a console sign-in that failed, `MEDIUM`;
//! - a call refused (`AccessDenied`, `UnauthorizedOperation`, ...), `LOW`;
//! - anything else, `INFORMATIONAL`.
//!
//! AWS Health events become the finding of AWS Health's own integration
//! (product `aws/health`: soar-core's Health reclassification then applies),
//! `MEDIUM` for an issue and `LOW` for other categories. Other EventBridge
//! events are refused with their `detail-type`.

use std::collections::BTreeMap;

use serde::Serialize;
use soar_asff::{
    AlarmStateChange, AwsIamAccessKeyDetails, CloudTrailDetail, Envelope, Event, Finding,
    GuardDutyFinding, LazyEvent, LazyFinding, RecordState, Resource, ResourceDetails, Severity,
    SeverityLabel, Workflow, WorkflowStatus,
};
use soar_core::location::partition_of_region;
use soar_core::scoring::{EventSource, NormalizedEvent};
use soar_core::Timestamp;

use crate::alarm::{alarm_finding, AlarmSkipped};
use crate::attack::map_type;

/// One security event, whatever sent it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecurityEvent {
    /// The producer's ID: the finding's, or the event's.
    pub id: String,
    /// When it happened, RFC 3339, when the event says.
    pub time: Option<String>,
    /// Who sent it.
    pub source: EventSource,
    /// The account it is about.
    pub account_id: Option<String>,
    /// The Region it is about.
    pub region: Option<String>,
    /// The producer's type: a GuardDuty finding type, an ASFF type, a
    /// CloudTrail `eventSource:eventName`, or `CloudWatch alarm`.
    pub event_type: Option<String>,
    /// How severe.
    pub severity: SeverityLabel,
    /// The resources, by ARN or ID.
    pub resources: Vec<String>,
    /// The event's `detail` (or the finding) as sent.
    pub detail: serde_json::Value,
}

/// Why an event gives no finding to decide on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoFinding {
    /// An alarm not meant for the pipeline, or not in `ALARM`.
    #[error(transparent)]
    Alarm(#[from] AlarmSkipped),
    /// A Security Hub event with an empty `findings` list.
    #[error("the {0} event carries no finding")]
    Empty(String),
    /// The event says neither its account nor its Region.
    #[error("the {kind} event names no account or no Region")]
    NoLocation {
        /// The event kind.
        kind: String,
    },
    /// An EventBridge event of a kind soar does not handle.
    #[error("soar does not handle {0:?} events")]
    Unsupported(String),
    /// OCSF findings (Security Hub's `Findings Imported V2`): typed and
    /// triaged, not yet decided, because their workflow is updated through
    /// `BatchUpdateFindingsV2`, which the pipeline does not call.
    #[error(
        "OCSF findings (Findings Imported V2) are triaged but not decided yet: \
         route Security Hub CSPM's ASFF events (Security Hub Findings - Imported) to the pipeline"
    )]
    Ocsf,
}

fn rfc3339(text: Option<&str>) -> Option<String> {
    Timestamp::parse(text?).ok().map(|t| t.to_string())
}

fn time_text(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(text) => rfc3339(Some(text)),
        // GetFindings gives epoch seconds as numbers.
        serde_json::Value::Number(n) => n.as_f64().map(|s| Timestamp(s as i64).to_string()),
        _ => None,
    }
}

impl SecurityEvent {
    /// What `soar-core`'s triage reads of the event: its source, severity,
    /// type and account. A CloudTrail event keeps the severity soar gives
    /// it from its actor ([`cloudtrail_severity`]), where
    /// `NormalizedEvent::from_event` has no more than the envelope.
    ///
    /// ```
    /// use soar_core::scoring::TriageConfig;
    /// use soar_incident::SecurityEvent;
    ///
    /// let event = soar_asff::Event::parse(br#"{
    ///   "version": "0", "id": "e-1", "detail-type": "GuardDuty Finding",
    ///   "source": "aws.guardduty", "account": "111111111111",
    ///   "time": "2026-12-01T00:00:00Z", "region": "us-east-1", "resources": [],
    ///   "detail": {"schemaVersion": "2.0", "accountId": "111111111111",
    ///     "region": "us-east-1", "id": "f-1", "type": "Backdoor:EC2/C&CActivity.B!DNS",
    ///     "severity": 8, "resource": {"resourceType": "Instance",
    ///       "instanceDetails": {"instanceId": "i-1"}}}
    /// }"#)?;
    /// let normalized = SecurityEvent::from_event(&event)[0].normalized();
    /// let triage = TriageConfig::default().triage(&normalized, None);
    /// // HIGH (30) times GuardDuty's source weight (1.2).
    /// assert!((triage.priority - 36.0).abs() < 1e-9);
    /// # Ok::<(), soar_asff::Error>(())
    /// ```
    pub fn normalized(&self) -> NormalizedEvent {
        NormalizedEvent {
            source: self.source,
            severity: self.severity,
            event_type: self.event_type.clone(),
            account_id: self.account_id.clone(),
        }
    }

    /// The events in `event`: one per finding of a Security Hub event, one
    /// otherwise.
    pub fn from_event(event: &Event) -> Vec<SecurityEvent> {
        match event {
            Event::GuardDutyFinding(e) => vec![Self::from_guardduty(e)],
            Event::CloudTrail(e) => vec![Self::from_cloudtrail(e)],
            Event::CloudWatchAlarmStateChange(e) => vec![Self::from_alarm(e)],
            Event::Other(e) => vec![Self::from_other(e)],
            Event::SecurityHubImportedV2(_) | Event::OcsfFinding(_) => {
                event.ocsf_findings().iter().map(Self::from_ocsf).collect()
            }
            _ => event.findings().iter().map(Self::from_finding).collect(),
        }
    }

    /// An AWS Health event, or any other EventBridge event.
    fn from_other(event: &Envelope<serde_json::Value>) -> SecurityEvent {
        let detail = &event.detail;
        let text = |member: &str| {
            detail
                .get(member)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        SecurityEvent {
            id: text("eventArn")
                .or_else(|| event.id.clone())
                .unwrap_or_default(),
            time: rfc3339(event.time.as_deref()),
            source: EventSource::Other,
            account_id: event.account.clone(),
            region: event.region.clone(),
            event_type: text("eventTypeCode").or_else(|| event.detail_type.clone()),
            severity: health_severity(detail),
            resources: event
                .resources
                .clone()
                .unwrap_or_default()
                .into_iter()
                .chain(affected_entities(detail))
                .collect(),
            detail: detail.clone(),
        }
    }

    fn from_finding(finding: &Finding) -> SecurityEvent {
        SecurityEvent {
            id: finding.id.clone(),
            time: rfc3339(Some(&finding.updated_at)),
            source: if finding.product_arn.contains("/aws/guardduty") {
                EventSource::GuardDuty
            } else {
                EventSource::SecurityHub
            },
            account_id: Some(finding.aws_account_id.clone()),
            region: finding.region.clone(),
            event_type: finding.types().first().cloned(),
            severity: finding
                .severity_label()
                .unwrap_or(SeverityLabel::Informational),
            resources: finding.resources.iter().map(|r| r.id.clone()).collect(),
            detail: finding.to_value().unwrap_or_default(),
        }
    }

    /// An OCSF finding of Security Hub: its time from `time_dt`, else from
    /// `time` (milliseconds); each resource by its ARN, else by its ID.
    fn from_ocsf(finding: &soar_asff::ocsf::Finding) -> SecurityEvent {
        let normalized = NormalizedEvent::from_ocsf(finding);
        SecurityEvent {
            id: finding.finding_info.uid.clone(),
            time: rfc3339(finding.time_dt.as_deref())
                .or_else(|| Some(Timestamp(finding.time.div_euclid(1000)).to_string())),
            source: normalized.source,
            account_id: normalized.account_id,
            region: finding.region().map(str::to_owned),
            event_type: normalized.event_type,
            severity: normalized.severity,
            resources: finding
                .resources()
                .iter()
                .filter_map(|r| r.arn().or(r.uid.as_deref()).map(str::to_owned))
                .collect(),
            detail: finding.to_value().unwrap_or_default(),
        }
    }

    fn from_guardduty(event: &Envelope<GuardDutyFinding>) -> SecurityEvent {
        let detail = &event.detail;
        SecurityEvent {
            id: detail.arn.clone().unwrap_or_else(|| detail.id.clone()),
            time: time_text(detail.updated_at.as_ref())
                .or_else(|| time_text(detail.created_at.as_ref()))
                .or_else(|| rfc3339(event.time.as_deref())),
            source: EventSource::GuardDuty,
            account_id: detail.account_id.clone().or_else(|| event.account.clone()),
            region: detail.region.clone().or_else(|| event.region.clone()),
            event_type: Some(detail.finding_type.clone()),
            severity: detail.severity_label().unwrap_or(SeverityLabel::Low),
            resources: guardduty_resources(event)
                .into_iter()
                .map(|r| r.id)
                .collect(),
            detail: serde_json::to_value(detail).unwrap_or_default(),
        }
    }

    fn from_cloudtrail(event: &Envelope<CloudTrailDetail>) -> SecurityEvent {
        let detail = &event.detail;
        SecurityEvent {
            id: detail
                .event_id
                .clone()
                .or_else(|| event.id.clone())
                .unwrap_or_default(),
            time: rfc3339(detail.event_time.as_deref()).or_else(|| rfc3339(event.time.as_deref())),
            source: EventSource::CloudTrail,
            account_id: event.account.clone(),
            region: detail.aws_region.clone().or_else(|| event.region.clone()),
            event_type: Some(format!("{}:{}", detail.event_source, detail.event_name)),
            severity: cloudtrail_severity(detail),
            resources: detail
                .user_identity
                .as_ref()
                .and_then(|u| u.arn.clone())
                .into_iter()
                .chain(event.resources.clone().unwrap_or_default())
                .collect(),
            detail: serde_json::to_value(detail).unwrap_or_default(),
        }
    }

    fn from_alarm(event: &Envelope<AlarmStateChange>) -> SecurityEvent {
        let detail = &event.detail;
        SecurityEvent {
            id: event
                .resources
                .as_ref()
                .and_then(|r| r.first().cloned())
                .unwrap_or_else(|| detail.alarm_name.clone()),
            time: rfc3339(detail.state.timestamp.as_deref())
                .or_else(|| rfc3339(event.time.as_deref())),
            source: EventSource::Other,
            account_id: event.account.clone(),
            region: event.region.clone(),
            event_type: Some("CloudWatch alarm".to_owned()),
            severity: crate::alarm::severity_of_name(&detail.alarm_name)
                .unwrap_or(SeverityLabel::Informational),
            resources: event.resources.clone().unwrap_or_default(),
            detail: serde_json::to_value(detail).unwrap_or_default(),
        }
    }
}

/// An AWS Health event's severity: `MEDIUM` for an issue, `LOW` for a
/// scheduled change or an account notification.
fn health_severity(detail: &serde_json::Value) -> SeverityLabel {
    match detail.get("eventTypeCategory").and_then(|c| c.as_str()) {
        Some("issue") => SeverityLabel::Medium,
        Some(_) => SeverityLabel::Low,
        None => SeverityLabel::Informational,
    }
}

/// The entities an AWS Health event names (instance IDs, volume IDs...).
fn affected_entities(detail: &serde_json::Value) -> Vec<String> {
    detail
        .get("affectedEntities")
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
        .filter_map(|e| {
            e.get("entityValue")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
        .collect()
}

/// An AWS Health event as the finding AWS Health's Security Hub
/// integration sends (product `aws/health`), so that soar-core's Health
/// reclassification applies to it.
fn health_asff(event: &Envelope<serde_json::Value>) -> Result<Finding, NoFinding> {
    let security_event = SecurityEvent::from_other(event);
    let (Some(account), Some(region)) = (
        security_event.account_id.clone(),
        security_event.region.clone(),
    ) else {
        return Err(NoFinding::NoLocation {
            kind: "AWS Health Event".to_owned(),
        });
    };
    let partition = partition_of_region(&region);
    let code = security_event
        .event_type
        .clone()
        .unwrap_or_else(|| "AWS_HEALTH_EVENT".to_owned());
    let description = event
        .detail
        .pointer("/eventDescription/0/latestDescription")
        .and_then(|d| d.as_str())
        .unwrap_or("An AWS Health event.")
        .chars()
        .take(1024)
        .collect();
    let when = security_event
        .time
        .clone()
        .unwrap_or_else(|| Timestamp::now().to_string());
    let mut resources: Vec<Resource> = affected_entities(&event.detail)
        .into_iter()
        .map(|entity| {
            let (resource_type, id) = if entity.starts_with("i-") {
                (
                    "AwsEc2Instance",
                    format!("arn:{partition}:ec2:{region}:{account}:instance/{entity}"),
                )
            } else {
                ("Other", entity)
            };
            Resource {
                resource_type: resource_type.to_owned(),
                id,
                partition: Some(partition.to_owned()),
                region: Some(region.clone()),
                ..Resource::default()
            }
        })
        .collect();
    if resources.is_empty() {
        resources.push(Resource {
            resource_type: "AwsAccount".to_owned(),
            id: format!("AWS::::Account:{account}"),
            partition: Some(partition.to_owned()),
            region: Some(region.clone()),
            ..Resource::default()
        });
    }
    Ok(Finding {
        schema_version: "2018-10-08".to_owned(),
        id: security_event.id.clone(),
        product_arn: format!("arn:{partition}:securityhub:{region}::product/aws/health"),
        generator_id: code.clone(),
        aws_account_id: account,
        types: Some(vec!["Software and Configuration Checks".to_owned()]),
        created_at: when.clone(),
        updated_at: when,
        severity: Some(Severity::from_label(security_event.severity)),
        title: format!("AWS Health - {code}"),
        description,
        product_name: Some("Health".to_owned()),
        company_name: Some("AWS".to_owned()),
        region: Some(region),
        resources,
        workflow: Some(Workflow {
            status: Some(WorkflowStatus::New),
            ..Workflow::default()
        }),
        record_state: Some(RecordState::Active),
        ..Finding::default()
    })
}

/// A CloudTrail event's severity (see the module docs).
pub fn cloudtrail_severity(detail: &CloudTrailDetail) -> SeverityLabel {
    let identity = detail.user_identity.as_ref();
    let root = identity.and_then(|u| u.identity_type.as_deref()) == Some("Root");
    let failed_sign_in = detail.event_name == "ConsoleLogin"
        && detail
            .response_elements
            .as_ref()
            .and_then(|r| r.get("ConsoleLogin"))
            .and_then(|v| v.as_str())
            == Some("Failure");
    let refused = detail.error_code.as_deref().is_some_and(|code| {
        code.contains("AccessDenied") || code.contains("Unauthorized") || code.contains("Forbidden")
    });
    if root {
        SeverityLabel::High
    } else if failed_sign_in {
        SeverityLabel::Medium
    } else if refused {
        SeverityLabel::Low
    } else {
        SeverityLabel::Informational
    }
}

/// The ASFF resources of a native GuardDuty finding.
fn guardduty_resources(event: &Envelope<GuardDutyFinding>) -> Vec<Resource> {
    let detail = &event.detail;
    let region = detail
        .region
        .clone()
        .or_else(|| event.region.clone())
        .unwrap_or_default();
    let account = detail
        .account_id
        .clone()
        .or_else(|| event.account.clone())
        .unwrap_or_default();
    let partition = detail
        .partition
        .clone()
        .unwrap_or_else(|| partition_of_region(&region).to_owned());
    let resource = detail.resource.as_ref();
    let text = |pointer: &str| {
        resource
            .and_then(|r| r.pointer(pointer))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let make = |resource_type: &str, id: String| Resource {
        resource_type: resource_type.to_owned(),
        id,
        partition: Some(partition.clone()),
        region: Some(region.clone()),
        ..Resource::default()
    };
    let mut resources = Vec::new();
    match detail.resource_type() {
        Some("Instance") => {
            if let Some(instance) = text("/instanceDetails/instanceId") {
                resources.push(make(
                    "AwsEc2Instance",
                    format!("arn:{partition}:ec2:{region}:{account}:instance/{instance}"),
                ));
            }
        }
        Some("AccessKey") => {
            if let Some(key) = text("/accessKeyDetails/accessKeyId") {
                // As GuardDuty's Security Hub integration writes it, with
                // the principal in the details, where the IAM playbook
                // reads it.
                let details = AwsIamAccessKeyDetails {
                    access_key_id: Some(key.clone()),
                    principal_id: text("/accessKeyDetails/principalId"),
                    principal_type: text("/accessKeyDetails/userType"),
                    principal_name: text("/accessKeyDetails/userName"),
                    user_name: text("/accessKeyDetails/userName"),
                    account_id: Some(account.clone()),
                    ..AwsIamAccessKeyDetails::default()
                };
                resources.push(Resource {
                    details: Some(ResourceDetails {
                        aws_iam_access_key: Some(Box::new(details)),
                        ..ResourceDetails::default()
                    }),
                    ..make("AwsIamAccessKey", format!("AWS::IAM::AccessKey:{key}"))
                });
            }
        }
        Some("S3Bucket") => {
            for bucket in resource
                .and_then(|r| r.get("s3BucketDetails"))
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(name) = bucket.get("name").and_then(|n| n.as_str()) {
                    resources.push(make("AwsS3Bucket", format!("arn:{partition}:s3:::{name}")));
                }
            }
        }
        Some("EKSCluster") => {
            if let Some(arn) = text("/eksClusterDetails/arn") {
                resources.push(make("AwsEksCluster", arn));
            }
        }
        _ => {}
    }
    // The user or role of an access key (GuardDuty names an assumed
    // role's role in `userName`).
    if let Some(name) = text("/accessKeyDetails/userName") {
        match text("/accessKeyDetails/userType").as_deref() {
            Some("IAMUser") => resources.push(make(
                "AwsIamUser",
                format!("arn:{partition}:iam::{account}:user/{name}"),
            )),
            Some("AssumedRole") => resources.push(make(
                "AwsIamRole",
                format!("arn:{partition}:iam::{account}:role/{name}"),
            )),
            _ => {}
        }
    }
    if resources.is_empty() {
        let id = detail.arn.clone().unwrap_or_else(|| detail.id.clone());
        resources.push(make("Other", id));
    }
    resources
}

/// The native GuardDuty finding as the ASFF finding GuardDuty's Security
/// Hub integration sends.
fn guardduty_asff(event: &Envelope<GuardDutyFinding>) -> Result<Finding, NoFinding> {
    let detail = &event.detail;
    let region = detail.region.clone().or_else(|| event.region.clone());
    let account = detail.account_id.clone().or_else(|| event.account.clone());
    let (Some(region), Some(account)) = (region, account) else {
        return Err(NoFinding::NoLocation {
            kind: "GuardDuty Finding".to_owned(),
        });
    };
    let partition = detail
        .partition
        .clone()
        .unwrap_or_else(|| partition_of_region(&region).to_owned());
    let finding_type = &detail.finding_type;
    // ASFF writes the `/` after the resource kind as `-`.
    let asff_type = finding_type.replacen('/', "-", 1);
    let namespace = match map_type(finding_type) {
        Some(mapping) => format!("TTPs/{}", mapping.tactic),
        None => "Unusual Behaviors/Other".to_owned(),
    };
    let created = time_text(detail.created_at.as_ref())
        .or_else(|| rfc3339(event.time.as_deref()))
        .unwrap_or_else(|| Timestamp::now().to_string());
    let updated = time_text(detail.updated_at.as_ref()).unwrap_or_else(|| created.clone());
    let detector = detail
        .service
        .as_ref()
        .and_then(|s| s.get("detectorId"))
        .and_then(|d| d.as_str());
    Ok(Finding {
        schema_version: "2018-10-08".to_owned(),
        id: detail.arn.clone().unwrap_or_else(|| {
            format!(
                "arn:{partition}:guardduty:{region}:{account}:finding/{}",
                detail.id
            )
        }),
        product_arn: format!("arn:{partition}:securityhub:{region}::product/aws/guardduty"),
        generator_id: match detector {
            Some(detector) => {
                format!("arn:{partition}:guardduty:{region}:{account}:detector/{detector}")
            }
            None => "aws-guardduty".to_owned(),
        },
        aws_account_id: account,
        types: Some(vec![format!("{namespace}/{asff_type}")]),
        created_at: created,
        updated_at: updated,
        severity: Some(Severity {
            product: detail.severity.clone(),
            ..Severity::from_label(detail.severity_label().unwrap_or(SeverityLabel::Low))
        }),
        title: detail.title.clone().unwrap_or_else(|| finding_type.clone()),
        description: detail
            .description
            .clone()
            .unwrap_or_else(|| format!("GuardDuty finding {finding_type}")),
        product_name: Some("GuardDuty".to_owned()),
        company_name: Some("Amazon".to_owned()),
        region: Some(region),
        product_fields: Some(BTreeMap::from([(
            "aws/guardduty/service/type".to_owned(),
            finding_type.clone(),
        )])),
        resources: guardduty_resources(event),
        workflow: Some(Workflow {
            status: Some(WorkflowStatus::New),
            ..Workflow::default()
        }),
        record_state: Some(RecordState::Active),
        ..Finding::default()
    })
}

/// The CloudTrail event as a finding of the account's default product.
fn cloudtrail_asff(event: &Envelope<CloudTrailDetail>) -> Result<Finding, NoFinding> {
    let security_event = SecurityEvent::from_cloudtrail(event);
    let (Some(account), Some(region)) = (
        security_event.account_id.clone(),
        security_event.region.clone(),
    ) else {
        return Err(NoFinding::NoLocation {
            kind: "CloudTrail".to_owned(),
        });
    };
    let partition = partition_of_region(&region);
    let detail = &event.detail;
    let when = security_event
        .time
        .clone()
        .unwrap_or_else(|| Timestamp::now().to_string());
    let actor = detail.user_identity.as_ref();
    let resources = match actor.and_then(|u| u.arn.clone()) {
        Some(arn) => {
            let resource_type = match actor.and_then(|u| u.identity_type.as_deref()) {
                Some("IAMUser") => "AwsIamUser",
                Some("AssumedRole") => "AwsIamRole",
                _ => "Other",
            };
            vec![Resource {
                resource_type: resource_type.to_owned(),
                id: arn,
                partition: Some(partition.to_owned()),
                region: Some(region.clone()),
                ..Resource::default()
            }]
        }
        None => vec![Resource {
            resource_type: "AwsAccount".to_owned(),
            id: format!("AWS::::Account:{account}"),
            partition: Some(partition.to_owned()),
            region: Some(region.clone()),
            ..Resource::default()
        }],
    };
    let who = actor
        .and_then(|u| u.arn.clone().or_else(|| u.identity_type.clone()))
        .unwrap_or_else(|| "an unknown principal".to_owned());
    Ok(Finding {
        schema_version: "2018-10-08".to_owned(),
        id: format!(
            "arn:{partition}:cloudtrail:{region}:{account}:event/{}",
            security_event.id
        ),
        product_arn: format!(
            "arn:{partition}:securityhub:{region}:{account}:product/{account}/default"
        ),
        generator_id: format!(
            "soar-cloudtrail/{}:{}",
            detail.event_source, detail.event_name
        ),
        aws_account_id: account,
        types: Some(vec![format!(
            "Unusual Behaviors/User/{}",
            detail.event_name
        )]),
        created_at: when.clone(),
        updated_at: when,
        severity: Some(Severity::from_label(security_event.severity)),
        title: format!("{} by {who}", detail.event_name),
        description: format!(
            "CloudTrail recorded {} ({}) by {who}{}.",
            detail.event_name,
            detail.event_source,
            detail
                .error_code
                .as_ref()
                .map_or(String::new(), |code| format!(", refused with {code}"))
        ),
        product_name: Some("CloudTrail".to_owned()),
        company_name: Some("soar".to_owned()),
        region: Some(region),
        resources,
        workflow: Some(Workflow {
            status: Some(WorkflowStatus::New),
            ..Workflow::default()
        }),
        record_state: Some(RecordState::Active),
        ..Finding::default()
    })
}

/// The ASFF findings of any event soar parses: those a Security Hub event
/// carries, or the one a GuardDuty finding, CloudWatch alarm or CloudTrail
/// event becomes.
///
/// # Errors
/// [`NoFinding`], with the reason: an alarm that is skipped, an event with
/// no finding or no location.
pub fn findings_of(event: &Event) -> Result<Vec<Finding>, NoFinding> {
    let findings = match event {
        Event::GuardDutyFinding(e) => vec![guardduty_asff(e)?],
        Event::CloudWatchAlarmStateChange(e) => vec![alarm_finding(e)?],
        Event::CloudTrail(e) => vec![cloudtrail_asff(e)?],
        Event::Other(e) if e.source.as_deref() == Some("aws.health") => vec![health_asff(e)?],
        Event::SecurityHubImportedV2(_) | Event::OcsfFinding(_) => return Err(NoFinding::Ocsf),
        Event::Other(e) => {
            return Err(NoFinding::Unsupported(
                e.detail_type
                    .clone()
                    .unwrap_or_else(|| "untyped".to_owned()),
            ))
        }
        _ => event.findings().to_vec(),
    };
    if findings.is_empty() {
        return Err(NoFinding::Empty(event.kind().to_string()));
    }
    Ok(findings)
}

/// [`findings_of`] for an event parsed by [`LazyEvent::parse`]: the ASFF
/// findings of a Security Hub event or a bare finding as they were read,
/// unbuilt; any other event's converted as `findings_of` converts them.
///
/// # Errors
/// As [`findings_of`].
pub fn lazy_findings_of(event: LazyEvent) -> Result<Vec<LazyFinding>, NoFinding> {
    match event {
        LazyEvent::Findings { kind, findings } if findings.is_empty() => {
            Err(NoFinding::Empty(kind.to_string()))
        }
        LazyEvent::Findings { findings, .. } => Ok(findings),
        LazyEvent::Other(event) => Ok(findings_of(&event)?
            .into_iter()
            .map(LazyFinding::from)
            .collect()),
        // `LazyEvent` may grow: what it cannot read in place is parsed.
        other => Err(NoFinding::Unsupported(other.kind().to_string())),
    }
}
