//! soar-incident on the published events and findings in the
//! repository's `testdata/`.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use soar_asff::{Event, Finding, SeverityLabel};
use soar_core::Timestamp;
use soar_incident::{
    alarm_finding, classify, findings_of, kind_of_type, AlarmSkipped, Classification,
    IncidentConfig, IncidentKind, SecurityEvent,
};

/// Every `.json` file of `testdata/<dir>`, sorted, with its bytes.
fn fixtures(dir: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

/// The events of `testdata/<dir>` that parse.
fn events(dir: &str) -> Vec<(String, Event)> {
    fixtures(dir)
        .into_iter()
        .filter_map(|(name, bytes)| Event::parse(&bytes).ok().map(|e| (name, e)))
        .collect()
}

/// Every published ASFF finding in `testdata`, alone and in EventBridge
/// events: GuardDuty's by the kind of their type, everything else
/// `Generic`, and none suppressed by the default configuration.
#[test]
fn every_published_finding() {
    let mut findings: Vec<(String, Finding)> = fixtures("asff")
        .into_iter()
        .map(|(name, bytes)| (name, Finding::from_slice(&bytes).unwrap()))
        .collect();
    for (name, event) in events("eventbridge") {
        findings.extend(event.findings().iter().map(|f| (name.clone(), f.clone())));
    }
    assert!(findings.len() > 40, "{}", findings.len());
    let expected = |name: &str| match name {
        n if n.starts_with("guardduty-asff-doc") => IncidentKind::Ec2,
        "guardduty-asff-recon-iamuser-accesskey.json"
        | "securityhub-custom-action-guardduty-iam-accesskey.json" => IncidentKind::IamUser,
        "securityhub-custom-action-guardduty-eks.json" => IncidentKind::Eks,
        _ => IncidentKind::Generic,
    };
    for (name, finding) in &findings {
        match classify(finding, &IncidentConfig::default()) {
            Classification::Incident { kind, reason, .. } => {
                assert_eq!(kind, expected(name), "{name}: {reason}");
            }
            Classification::Suppress { reason } => panic!("{name} suppressed: {reason}"),
        }
    }
}

/// The published alarm events in `testdata/eventbridge`: none names a
/// severity, so each is skipped with that reason; named with one, each
/// gives a finding at its state's time.
#[test]
fn the_published_alarm_events() {
    let alarms: Vec<(String, Event)> = events("eventbridge")
        .into_iter()
        .filter(|(_, e)| matches!(e, Event::CloudWatchAlarmStateChange(_)))
        .collect();
    assert_eq!(alarms.len(), 5);
    for (file, event) in alarms {
        let Event::CloudWatchAlarmStateChange(mut event) = event else {
            unreachable!("{file}")
        };
        let name = event.detail.alarm_name.clone();
        assert_eq!(
            alarm_finding(&event),
            Err(AlarmSkipped::NoSeverity(name.clone()))
        );
        event.detail.alarm_name = format!("{name}-HIGH");
        let finding = alarm_finding(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
        let state_time =
            Timestamp::parse(event.detail.state.timestamp.as_deref().unwrap()).unwrap();
        assert_eq!(finding.created_at, state_time.to_string(), "{name}");
        assert_eq!(
            Finding::from_str(&finding.to_json().unwrap()).unwrap(),
            finding,
            "{name}"
        );
    }
}

#[test]
fn every_published_event_is_one_security_event_per_finding() {
    let events = events("eventbridge");
    assert!(events.len() >= 20, "{}", events.len());
    for (name, event) in &events {
        let normalised = SecurityEvent::from_event(event);
        let expected = match event {
            Event::SecurityHubImported(_) | Event::SecurityHubCustomAction(_) => {
                event.findings().len()
            }
            _ => 1,
        };
        assert_eq!(normalised.len(), expected, "{name}");
        for e in &normalised {
            assert!(!e.id.is_empty() && e.event_type.is_some(), "{name}: {e:?}");
            assert!(!e.detail.is_null(), "{name}");
        }
    }
}

#[test]
fn native_guardduty_findings_become_the_asff_guardduty_would_send() {
    for (name, event) in events("eventbridge")
        .iter()
        .filter(|(_, e)| matches!(e, Event::GuardDutyFinding(_)))
    {
        match findings_of(event) {
            Ok(findings) => {
                let finding = &findings[0];
                assert!(
                    finding.product_arn.ends_with("product/aws/guardduty"),
                    "{name}"
                );
                assert!(
                    finding.types()[0].starts_with("TTPs/"),
                    "{name}: {:?}",
                    finding.types
                );
                // It round-trips, and classifies as the native type says.
                assert_eq!(
                    &Finding::from_str(&finding.to_json().unwrap()).unwrap(),
                    finding,
                    "{name}"
                );
                let Event::GuardDutyFinding(native) = event else {
                    unreachable!()
                };
                let Classification::Incident { kind, .. } =
                    classify(finding, &IncidentConfig::default())
                else {
                    panic!("{name} suppressed")
                };
                assert_eq!(kind, kind_of_type(&native.detail.finding_type), "{name}");
                assert_ne!(kind, IncidentKind::Generic, "{name}");
                assert!(
                    finding.resources.iter().all(|r| r.resource_type != "Other"),
                    "{name}: {:?}",
                    finding.resources
                );
            }
            // The partial envelope names no account: said, not guessed.
            Err(error) => assert!(
                name.contains("partial-envelope") && error.to_string().contains("no account"),
                "{name}: {error}"
            ),
        }
    }
    let iam = events("eventbridge")
        .into_iter()
        .find(|(n, _)| n == "guardduty-finding-iamuser-tor-ip-caller.json")
        .unwrap()
        .1;
    let finding = &findings_of(&iam).unwrap()[0];
    let types: Vec<&str> = finding
        .resources
        .iter()
        .map(|r| r.resource_type.as_str())
        .collect();
    assert_eq!(types, ["AwsIamAccessKey", "AwsIamUser"]);
    let key = &finding.resources[0];
    assert_eq!(key.id, "AWS::IAM::AccessKey:GeneratedFindingAccessKeyId");
    let details = key
        .details
        .as_ref()
        .and_then(|d| d.aws_iam_access_key.as_ref())
        .unwrap();
    assert_eq!(
        (
            details.principal_type.as_deref(),
            details.principal_name.as_deref()
        ),
        (Some("IAMUser"), Some("GeneratedFindingUserName"))
    );
    assert_eq!(finding.severity_label(), Some(SeverityLabel::Medium));
}

#[test]
fn cloudtrail_events_become_findings_with_a_severity_from_the_actor() {
    let events = events("eventbridge");
    let severity = |file: &str| {
        let event = &events.iter().find(|(n, _)| n == file).unwrap().1;
        findings_of(event).unwrap()[0].severity_label()
    };
    assert_eq!(
        severity("cloudtrail-console-signin-root.json"),
        Some(SeverityLabel::High)
    );
    assert_eq!(
        severity("cloudtrail-api-call-s3-createbucket-root.json"),
        Some(SeverityLabel::High)
    );
    assert_eq!(
        severity("cloudtrail-api-call-s3-createbucket-assumedrole.json"),
        Some(SeverityLabel::Informational)
    );
    for (name, event) in events
        .iter()
        .filter(|(_, e)| matches!(e, Event::CloudTrail(_)))
    {
        let finding = &findings_of(event).unwrap()[0];
        assert_eq!(
            &Finding::from_str(&finding.to_json().unwrap()).unwrap(),
            finding,
            "{name}"
        );
        assert!(finding.product_arn.ends_with("/default"), "{name}");
    }
}

#[test]
fn a_health_event_becomes_the_finding_of_aws_health() {
    let (_, event) = events("eventbridge")
        .into_iter()
        .find(|(n, _)| n == "health-event-ec2-instance-retirement.json")
        .unwrap();
    let finding = &findings_of(&event).unwrap()[0];
    assert!(finding.product_arn.ends_with("product/aws/health"));
    assert_eq!(
        finding.title,
        "AWS Health - AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED"
    );
    assert_eq!(finding.resources[0].resource_type, "AwsEc2Instance");
    assert!(finding.resources[0]
        .id
        .ends_with("instance/i-00ddbf07ce6372082"));
    assert_eq!(
        &Finding::from_str(&finding.to_json().unwrap()).unwrap(),
        finding
    );
}

#[test]
fn security_hub_events_keep_their_findings() {
    for (name, event) in events("eventbridge") {
        if let Event::SecurityHubImported(_) | Event::SecurityHubCustomAction(_) = event {
            assert_eq!(findings_of(&event).unwrap(), event.findings(), "{name}");
        }
    }
}

#[test]
fn every_event_feeds_the_triage_with_its_own_source_and_severity() {
    let triage = soar_core::scoring::TriageConfig::default();
    let mut seen = 0;
    for dir in ["eventbridge", "guardduty-native"] {
        for (name, event) in events(dir) {
            for security_event in SecurityEvent::from_event(&event) {
                let normalized = security_event.normalized();
                assert_eq!(normalized.severity, security_event.severity, "{name}");
                assert_eq!(normalized.account_id, security_event.account_id, "{name}");
                let priority = triage.triage(&normalized, None).priority;
                assert!((0.0..=100.0).contains(&priority), "{name}: {priority}");
                seen += 1;
            }
        }
    }
    assert!(seen > 20, "{seen} events");
    // A root console sign-in is HIGH from its actor (30) at CloudTrail's
    // weight (1.0), where the envelope alone would say LOW.
    let signin = events("eventbridge")
        .into_iter()
        .find(|(n, _)| n == "cloudtrail-console-signin-root.json")
        .unwrap()
        .1;
    let normalized = SecurityEvent::from_event(&signin)[0].normalized();
    assert_eq!(
        normalized.source,
        soar_core::scoring::EventSource::CloudTrail
    );
    assert!((triage.triage(&normalized, None).priority - 30.0).abs() < 1e-9);
}
