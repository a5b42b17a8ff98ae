//! CloudWatch alarms as Security Hub findings.
//!
//! An alarm that goes into `ALARM` becomes an ASFF finding that
//! `BatchImportFindings` accepts, in the alarm's account and Region, under
//! the account's default product (`product/<account>/default`), so that it
//! is triaged, ticketed and reported like any other finding.
//!
//! - The severity is in the alarm's name, as a dash-separated word:
//!   `INFORMATIONAL`, `LOW`, `MEDIUM`, `HIGH` or `CRITICAL`
//!   (`orders-api-HIGH-latency`). An alarm without one is skipped: it was
//!   not made for this pipeline.
//! - The domain is `INFRA` when the name contains `INFRA`, `APP` otherwise;
//!   it is in the finding's `ProductFields` (`soar/domain`) and title.
//! - Alarms named `CIS-...` are skipped: they are the CIS benchmark's
//!   metric-filter alarms, which Security Hub already reports as controls.
//! - The resource is the state machine or Lambda function of the alarm's
//!   `StateMachineArn` or `FunctionName` metric dimension, else the alarm.
//! - The time is the new state's, else the previous state's, else the
//!   event's.

use std::collections::BTreeMap;

use soar_asff::{
    AlarmStateChange, AlarmStateValue, Envelope, Finding, RecordState, Resource, Severity,
    SeverityLabel, Workflow, WorkflowStatus,
};
use soar_core::location::partition_of_region;
use soar_core::Timestamp;

/// Why an alarm event gives no finding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AlarmSkipped {
    /// A CIS benchmark alarm.
    #[error(
        "alarm {0} is a CIS benchmark alarm (CIS-...), which Security Hub reports as a control"
    )]
    Cis(String),
    /// No severity word in the name.
    #[error("alarm {0} has no severity in its name (INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL, between dashes)")]
    NoSeverity(String),
    /// Not in `ALARM`: a return to `OK` or missing data.
    #[error("alarm {name} is {state}, not ALARM")]
    NotAlarming {
        /// The alarm.
        name: String,
        /// Its state.
        state: String,
    },
    /// The event says neither its account nor its Region.
    #[error("the event of alarm {0} names no account or no Region")]
    NoLocation(String),
    /// No state, previous state or event time can be read.
    #[error("the event of alarm {name} has no time that can be read (state {state:?})")]
    NoTime {
        /// The alarm.
        name: String,
        /// The state's timestamp as sent.
        state: Option<String>,
    },
}

/// The severity word in an alarm's name.
pub fn severity_of_name(name: &str) -> Option<SeverityLabel> {
    name.split('-').find_map(|word| match word {
        "INFORMATIONAL" => Some(SeverityLabel::Informational),
        "LOW" => Some(SeverityLabel::Low),
        "MEDIUM" => Some(SeverityLabel::Medium),
        "HIGH" => Some(SeverityLabel::High),
        "CRITICAL" => Some(SeverityLabel::Critical),
        _ => None,
    })
}

/// `INFRA` or `APP`.
pub fn domain_of_name(name: &str) -> &'static str {
    if name.contains("INFRA") {
        "INFRA"
    } else {
        "APP"
    }
}

/// RFC 3339, from CloudWatch's `2019-10-02T17:20:48.554+0000` too.
fn time_of(text: Option<&str>) -> Option<Timestamp> {
    Timestamp::parse(text?).ok()
}

/// The ASFF finding for an alarm state change, or why there is none.
///
/// ```
/// use soar_incident::alarm_finding;
///
/// let event = soar_asff::Event::parse(br#"{
///   "version": "0", "id": "e1", "detail-type": "CloudWatch Alarm State Change",
///   "source": "aws.cloudwatch", "account": "111111111111", "time": "2026-12-01T10:00:00Z",
///   "region": "eu-west-1", "resources": ["arn:aws:cloudwatch:eu-west-1:111111111111:alarm:orders-HIGH-errors"],
///   "detail": {"alarmName": "orders-HIGH-errors",
///     "state": {"value": "ALARM", "reason": "Threshold Crossed", "timestamp": "2026-12-01T09:59:30.000+0000"},
///     "configuration": {"metrics": [{"id": "m1", "metricStat": {"metric": {
///       "namespace": "AWS/Lambda", "name": "Errors", "dimensions": {"FunctionName": "orders"}}}}]}}
/// }"#)?;
/// let soar_asff::Event::CloudWatchAlarmStateChange(alarm) = event else { unreachable!() };
/// let finding = alarm_finding(&alarm)?;
/// assert_eq!(finding.severity_label(), Some(soar_asff::SeverityLabel::High));
/// assert_eq!(finding.resources[0].id, "arn:aws:lambda:eu-west-1:111111111111:function:orders");
/// assert_eq!(finding.created_at, "2026-12-01T09:59:30Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn alarm_finding(event: &Envelope<AlarmStateChange>) -> Result<Finding, AlarmSkipped> {
    let change = &event.detail;
    let name = change.alarm_name.clone();
    if name.starts_with("CIS-") {
        return Err(AlarmSkipped::Cis(name));
    }
    if change.state.value != AlarmStateValue::Alarm {
        return Err(AlarmSkipped::NotAlarming {
            state: change.state.value.as_str().to_owned(),
            name,
        });
    }
    let severity = severity_of_name(&name).ok_or_else(|| AlarmSkipped::NoSeverity(name.clone()))?;
    let (Some(account), Some(region)) = (event.account.clone(), event.region.clone()) else {
        return Err(AlarmSkipped::NoLocation(name));
    };
    let at = time_of(change.state.timestamp.as_deref())
        .or_else(|| {
            time_of(
                change
                    .previous_state
                    .as_ref()
                    .and_then(|s| s.timestamp.as_deref()),
            )
        })
        .or_else(|| time_of(event.time.as_deref()))
        .ok_or_else(|| AlarmSkipped::NoTime {
            name: name.clone(),
            state: change.state.timestamp.clone(),
        })?;
    let partition = partition_of_region(&region);
    let alarm_arn = event
        .resources
        .as_ref()
        .and_then(|r| r.first().cloned())
        .unwrap_or_else(|| format!("arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}"));
    let (resource_type, resource_id) = if let Some(machine) = change.dimension("StateMachineArn") {
        ("AwsStepFunctionStateMachine", machine.to_owned())
    } else if let Some(function) = change.dimension("FunctionName") {
        (
            "AwsLambdaFunction",
            format!("arn:{partition}:lambda:{region}:{account}:function:{function}"),
        )
    } else {
        ("Other", alarm_arn.clone())
    };
    let domain = domain_of_name(&name);
    let when = at.to_string();
    let reason = change.state.reason.clone().unwrap_or_default();
    let description = change
        .configuration
        .as_ref()
        .and_then(|c| c.description.clone())
        .filter(|d| !d.is_empty())
        .map_or(reason.clone(), |d| {
            format!("{d} {reason}").trim().to_owned()
        });
    Ok(Finding {
        schema_version: "2018-10-08".to_owned(),
        // One finding per alarm and time it went into ALARM: a re-sent
        // event updates the same finding.
        id: format!("{alarm_arn}/{}", at.0),
        product_arn: format!(
            "arn:{partition}:securityhub:{region}:{account}:product/{account}/default"
        ),
        generator_id: format!("soar-cloudwatch-alarm/{name}"),
        aws_account_id: account.clone(),
        types: Some(vec![format!(
            "Unusual Behaviors/Application/CloudWatch alarm {domain}"
        )]),
        created_at: when.clone(),
        updated_at: when.clone(),
        first_observed_at: Some(when),
        severity: Some(Severity::from_label(severity)),
        title: format!("{domain} alarm {name} is in ALARM"),
        description: if description.is_empty() {
            format!("CloudWatch alarm {name} went into ALARM.")
        } else {
            // ASFF caps descriptions at 1024 characters.
            description.chars().take(1024).collect()
        },
        product_name: Some("CloudWatch".to_owned()),
        company_name: Some("soar".to_owned()),
        region: Some(region.clone()),
        product_fields: Some(BTreeMap::from([
            ("soar/domain".to_owned(), domain.to_owned()),
            ("soar/alarm_arn".to_owned(), alarm_arn),
        ])),
        resources: vec![Resource {
            resource_type: resource_type.to_owned(),
            id: resource_id,
            partition: Some(partition.to_owned()),
            region: Some(region),
            ..Resource::default()
        }],
        workflow: Some(Workflow {
            status: Some(WorkflowStatus::New),
            ..Workflow::default()
        }),
        record_state: Some(RecordState::Active),
        ..Finding::default()
    })
}

#[cfg(test)]
mod tests {
    use soar_asff::Event;

    use super::*;

    fn alarm(
        name: &str,
        value: &str,
        dimensions: &str,
        timestamps: (&str, &str, &str),
    ) -> Envelope<AlarmStateChange> {
        let (state, previous, time) = timestamps;
        let json = format!(
            r#"{{"version": "0", "id": "e", "detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
               "account": "111111111111", "region": "us-east-1", "time": "{time}",
               "resources": ["arn:aws:cloudwatch:us-east-1:111111111111:alarm:{name}"],
               "detail": {{"alarmName": "{name}",
                 "state": {{"value": "{value}", "reason": "Threshold Crossed", "timestamp": "{state}"}},
                 "previousState": {{"value": "OK", "timestamp": "{previous}"}},
                 "configuration": {{"description": "Too many errors", "metrics": [{{"id": "m1", "metricStat": {{"metric": {{"dimensions": {dimensions}}}}}}}]}}}}}}"#
        );
        match Event::parse(json.as_bytes()).unwrap() {
            Event::CloudWatchAlarmStateChange(e) => e,
            other => panic!("{other:?}"),
        }
    }

    const TIMES: (&str, &str, &str) = (
        "2026-12-01T09:00:00.123+0000",
        "2026-11-30T09:00:00.000+0000",
        "2026-12-01T09:00:05Z",
    );

    #[test]
    fn severity_domain_and_resource_come_from_the_alarm() {
        let machine =
            r#"{"StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:soar"}"#;
        let finding = alarm_finding(&alarm(
            "soar-INFRA-CRITICAL-failures",
            "ALARM",
            machine,
            TIMES,
        ))
        .unwrap();
        assert_eq!(finding.severity_label(), Some(SeverityLabel::Critical));
        assert_eq!(
            finding.resources[0].resource_type,
            "AwsStepFunctionStateMachine"
        );
        assert_eq!(
            finding.resources[0].id,
            "arn:aws:states:us-east-1:111111111111:stateMachine:soar"
        );
        assert_eq!(
            finding.product_fields.as_ref().unwrap()["soar/domain"],
            "INFRA"
        );
        assert_eq!(
            finding.product_arn,
            "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"
        );
        assert_eq!(finding.created_at, "2026-12-01T09:00:00Z");
        assert!(finding.description.starts_with("Too many errors"));

        let function = r#"{"FunctionName": "orders"}"#;
        let finding =
            alarm_finding(&alarm("orders-LOW-throttles", "ALARM", function, TIMES)).unwrap();
        assert_eq!(
            finding.resources[0].id,
            "arn:aws:lambda:us-east-1:111111111111:function:orders"
        );
        assert_eq!(
            finding.product_fields.as_ref().unwrap()["soar/domain"],
            "APP"
        );

        let neither = alarm_finding(&alarm(
            "queue-MEDIUM-depth",
            "ALARM",
            r#"{"QueueName": "q"}"#,
            TIMES,
        ))
        .unwrap();
        assert_eq!(
            neither.resources[0].id,
            "arn:aws:cloudwatch:us-east-1:111111111111:alarm:queue-MEDIUM-depth"
        );
    }

    #[test]
    fn the_time_falls_back_from_the_state_to_the_previous_state_to_the_event() {
        let previous = alarm_finding(&alarm(
            "x-HIGH",
            "ALARM",
            "{}",
            (
                "garbled",
                "2026-11-30T09:00:00.000+0000",
                "2026-12-01T09:00:05Z",
            ),
        ))
        .unwrap();
        assert_eq!(previous.created_at, "2026-11-30T09:00:00Z");
        let event = alarm_finding(&alarm(
            "x-HIGH",
            "ALARM",
            "{}",
            ("", "", "2026-12-01T09:00:05Z"),
        ))
        .unwrap();
        assert_eq!(event.created_at, "2026-12-01T09:00:05Z");
        assert!(matches!(
            alarm_finding(&alarm("x-HIGH", "ALARM", "{}", ("", "", "soon"))),
            Err(AlarmSkipped::NoTime { .. })
        ));
    }

    #[test]
    fn cis_alarms_unnamed_severities_and_returns_to_ok_are_skipped_with_the_reason() {
        let skipped = |name: &str, value: &str| {
            alarm_finding(&alarm(name, value, "{}", TIMES))
                .unwrap_err()
                .to_string()
        };
        assert!(skipped("CIS-3.1-UnauthorizedAPICalls-HIGH", "ALARM").contains("CIS benchmark"));
        assert!(skipped("TotalNetworkTrafficTooHigh", "ALARM").contains("no severity"));
        // A word, not a substring: "HIGHER" is no severity.
        assert!(skipped("latency-HIGHER-than-usual", "ALARM").contains("no severity"));
        assert!(skipped("orders-HIGH-errors", "OK").contains("is OK, not ALARM"));
    }

    #[test]
    fn the_finding_is_valid_asff_and_round_trips() {
        let finding = alarm_finding(&alarm(
            "orders-HIGH-errors",
            "ALARM",
            r#"{"FunctionName": "orders"}"#,
            TIMES,
        ))
        .unwrap();
        let json = finding.to_json().unwrap();
        assert_eq!(Finding::from_str(&json).unwrap(), finding);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        // What BatchImportFindings requires.
        for member in [
            "SchemaVersion",
            "Id",
            "ProductArn",
            "GeneratorId",
            "AwsAccountId",
            "Types",
            "CreatedAt",
            "UpdatedAt",
            "Severity",
            "Title",
            "Description",
            "Resources",
        ] {
            assert!(!value[member].is_null(), "{member} is missing");
        }
        assert!(finding.title.len() <= 256 && finding.description.len() <= 1024);
    }
}
