//! Every published fixture parses and is written back JSON-equal.

use serde_json::Value;
use soar_asff::{
    ComplianceStatus, Event, EventKind, Finding, GuardDutyFinding, SeverityLabel, WorkflowStatus,
};

use crate::support::{assert_json_eq, fixtures};

#[test]
fn every_asff_fixture_round_trips_losslessly() {
    for (name, bytes) in fixtures("asff") {
        let finding = Finding::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let original: Value = serde_json::from_slice(&bytes).unwrap();
        assert_json_eq(&name, &original, &finding.to_value().unwrap());
        // A second pass through the typed model changes nothing either.
        let again = Finding::from_str(&finding.to_json().unwrap()).unwrap();
        assert_eq!(again, finding, "{name}");
    }
}

#[test]
fn every_eventbridge_fixture_round_trips_losslessly() {
    for (name, bytes) in fixtures("eventbridge") {
        let event = Event::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let original: Value = serde_json::from_slice(&bytes).unwrap();
        let written: Value = serde_json::from_str(&event.to_json().unwrap()).unwrap();
        assert_json_eq(&name, &original, &written);
    }
}

#[test]
fn events_from_a_parsed_value_equal_events_from_bytes() {
    for (name, bytes) in fixtures("eventbridge") {
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            Event::from_value(value).unwrap(),
            Event::parse(&bytes).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn eventbridge_fixtures_are_recognised_by_kind() {
    let expected_prefixes = [
        ("securityhub-imported-", EventKind::SecurityHubImported),
        (
            "securityhub-custom-action-",
            EventKind::SecurityHubCustomAction,
        ),
        ("guardduty-finding-", EventKind::GuardDutyFinding),
        (
            "cloudwatch-alarm-state-change-",
            EventKind::CloudWatchAlarmStateChange,
        ),
        ("cloudtrail-", EventKind::CloudTrail),
        ("health-event-", EventKind::Other),
    ];
    for (name, bytes) in fixtures("eventbridge") {
        let (_, kind) = expected_prefixes
            .iter()
            .find(|(prefix, _)| name.starts_with(prefix))
            .unwrap_or_else(|| panic!("{name}: no expected kind"));
        assert_eq!(Event::parse(&bytes).unwrap().kind(), *kind, "{name}");
    }
}

#[test]
fn partial_guardduty_envelope_is_recognised_from_its_detail() {
    let bytes = std::fs::read(
        crate::support::testdata()
            .join("eventbridge/guardduty-finding-ec2-sshbruteforce-partial-envelope.json"),
    )
    .unwrap();
    let Event::GuardDutyFinding(envelope) = Event::parse(&bytes).unwrap() else {
        panic!("not a GuardDuty finding");
    };
    assert_eq!(envelope.detail_type, None);
    assert_eq!(
        envelope.detail.finding_type,
        "UnauthorizedAccess:EC2/SSHBruteForce"
    );
    assert_eq!(envelope.detail.severity_label(), Some(SeverityLabel::Low));
    assert_eq!(envelope.detail.resource_type(), Some("Instance"));
}

#[test]
fn security_hub_events_expose_their_findings() {
    let bytes = std::fs::read(
        crate::support::testdata()
            .join("eventbridge/securityhub-custom-action-cis120-1-16-three-findings.json"),
    )
    .unwrap();
    let event = Event::parse(&bytes).unwrap();
    assert_eq!(event.findings().len(), 3);
    let Event::SecurityHubCustomAction(envelope) = &event else {
        panic!("not a custom action");
    };
    assert!(envelope.detail.action_name.is_some());
}

#[test]
fn cloudwatch_alarm_exposes_state_and_dimensions() {
    let bytes = std::fs::read(
        crate::support::testdata()
            .join("eventbridge/cloudwatch-alarm-state-change-single-metric.json"),
    )
    .unwrap();
    let Event::CloudWatchAlarmStateChange(envelope) = Event::parse(&bytes).unwrap() else {
        panic!("not an alarm");
    };
    assert_eq!(envelope.detail.alarm_name, "ServerCpuTooHigh");
    assert_eq!(
        envelope.detail.state.value,
        soar_asff::AlarmStateValue::Alarm
    );
    assert_eq!(
        envelope.detail.dimension("InstanceId"),
        Some("i-12345678901234567")
    );
    assert_eq!(envelope.detail.dimension("FunctionName"), None);
}

#[test]
fn native_guardduty_details_round_trip_losslessly() {
    for (name, bytes) in fixtures("guardduty-native") {
        // The GetFindings API form is PascalCase, not the EventBridge detail.
        if name.starts_with("guardduty-getfindings-api") {
            let error = serde_json::from_slice::<GuardDutyFinding>(&bytes).unwrap_err();
            assert!(
                error.to_string().contains("missing field"),
                "{name}: {error}"
            );
            continue;
        }
        let finding: GuardDutyFinding =
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let original: Value = serde_json::from_slice(&bytes).unwrap();
        assert_json_eq(&name, &original, &serde_json::to_value(&finding).unwrap());
    }
}

fn asff(name: &str) -> Finding {
    let bytes = std::fs::read(crate::support::testdata().join("asff").join(name)).unwrap();
    Finding::from_slice(&bytes).unwrap()
}

#[test]
fn helpers_read_real_findings() {
    let sg = asff("securityhub-fsbp-ec2-2-default-sg-failed.json");
    assert_eq!(sg.control_id(), Some("EC2.2"));
    assert_eq!(sg.compliance_status(), Some(ComplianceStatus::Failed));

    let cis = asff("securityhub-cis120-1-3-iamuser-failed.json");
    assert_eq!(cis.control_id(), Some("1.3"));

    let consolidated = asff("securityhub-doc-pci-cloudtrail-1-failed.json");
    assert_eq!(consolidated.control_id(), Some("CloudTrail.2"));

    let guardduty = asff("guardduty-asff-doc.json");
    assert_eq!(guardduty.control_id(), None);
    assert!(guardduty.severity_label().is_some());

    let resolved = asff("securityhub-fsbp-s3-2-passed-resolved.json");
    assert_eq!(resolved.compliance_status(), Some(ComplianceStatus::Passed));
    assert!(resolved.workflow_status().is_some());

    let notified = asff("securityhub-cli-cis120-1-13-critical-notified.json");
    assert_eq!(notified.workflow_status(), Some(WorkflowStatus::Notified));
    assert_eq!(notified.severity_label(), Some(SeverityLabel::Critical));
}

#[test]
fn access_analyzer_finding_names_the_resource_owner() {
    let finding = asff("access-analyzer-s3-cross-account-doc.json");
    let resource = finding.primary_resource().unwrap();
    assert_eq!(resource.resource_type, "AwsS3Bucket");
    // S3 ARNs carry no account, so the finding's account stands in.
    assert_eq!(finding.resource_account_id(), finding.aws_account_id);
}

#[test]
fn typed_details_are_read_from_real_findings() {
    let rds = asff("securityhub-fsbp-rds-2-failed.json");
    let details = rds.resources[0].details.as_ref().unwrap();
    let instance = details.aws_rds_db_instance.as_ref().unwrap();
    assert_eq!(instance.publicly_accessible, Some(true));
    // Members of a typed kind that are not typed stay in `extra`.
    assert!(!instance.extra.is_empty());
}
