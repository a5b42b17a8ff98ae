//! The pipeline on real published findings, with in-memory ports, checking
//! the decision and the state of the ports afterwards.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use async_trait::async_trait;
use soar_asff::{Finding, SeverityLabel};
use soar_core::error_class::ErrorClass;
use soar_core::ports::memory::{MemoryRecords, RecordingUpdater, StaticAccounts};
use soar_core::ports::{AccountDirectory, PortError, RecordStore, TicketRecord};
use soar_core::scoring::{NoModel, NormalizedEvent, ThreatScorer};
use soar_core::{
    AccountData, Config, ControlAction, Decision, Pipeline, Ports, Scratchpad, Timestamp,
};

fn fixture(name: &str) -> Finding {
    let path = format!("{}/../testdata/asff/{name}", env!("CARGO_MANIFEST_DIR"));
    Finding::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn fixtures() -> Vec<(String, Finding)> {
    let dir = format!("{}/../testdata/asff", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| (n.clone(), fixture(&n)))
        .collect()
}

struct World {
    config: Config,
    accounts: StaticAccounts,
    updater: RecordingUpdater,
    records: MemoryRecords,
    remediable: BTreeSet<String>,
}

impl World {
    fn new(config: Config) -> Self {
        let accounts = StaticAccounts::new([
            AccountData {
                id: "111111111111".into(),
                environment: Some("prod".into()),
                team: Some("platform".into()),
                ..AccountData::default()
            },
            AccountData {
                id: "111122223333".into(),
                environment: Some("dev".into()),
                ..AccountData::default()
            },
        ]);
        World {
            config,
            accounts,
            updater: RecordingUpdater::default(),
            records: MemoryRecords::default(),
            remediable: ["S3.8", "EC2.2", "S3.2"]
                .into_iter()
                .map(String::from)
                .collect(),
        }
    }

    async fn process(&self, finding: Finding) -> Scratchpad {
        self.process_with(finding, &NoModel).await
    }

    async fn process_with(&self, finding: Finding, scorer: &dyn ThreatScorer) -> Scratchpad {
        let ports = Ports {
            accounts: &self.accounts,
            updater: &self.updater,
            records: &self.records,
            scorer,
            remediable: &self.remediable,
        };
        Pipeline::new(&self.config, ports)
            .with_clock(|| Timestamp::parse("2026-06-01T00:00:00Z").unwrap())
            .process(finding)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn every_fixture_gets_a_decision_and_a_reason() {
    let world = World::new(Config::default());
    for (name, finding) in fixtures() {
        let pad = world.process(finding).await;
        assert!(pad.decision.is_some(), "{name}");
        assert!(
            !pad.decision_reason.as_deref().unwrap_or("").is_empty(),
            "{name}"
        );
        // The Scratchpad survives the JSON Step Functions passes on.
        let json = pad.to_json_pretty().unwrap();
        assert_eq!(Scratchpad::from_json(&json).unwrap(), pad, "{name}");
    }
}

#[tokio::test]
async fn failed_remediable_control_is_remediated_when_enabled() {
    let config =
        Config::from_json(r#"{"auto_remediation": {"enabled": true, "controls": ["S3.8"]}}"#)
            .unwrap();
    let world = World::new(config);
    let pad = world
        .process(fixture("securityhub-fsbp-s3-8-failed.json"))
        .await;
    assert_eq!(pad.decision, Some(Decision::FailedControl));
    assert_eq!(pad.control_action, Some(ControlAction::Remediate));
    assert_eq!(pad.account.team.as_deref(), Some("platform"));
    // HIGH (70) in prod: ((70 + 60) / 100)^2 * 10.
    assert!((pad.penalty_score.unwrap() - 16.9).abs() < 1e-9);
}

#[tokio::test]
async fn failed_control_without_remediation_is_ticketed() {
    let world = World::new(Config::default());
    let pad = world
        .process(fixture("securityhub-fsbp-lambda-1-failed.json"))
        .await;
    assert_eq!(pad.control_action, Some(ControlAction::Ticket));
    assert!(pad
        .decision_reason
        .unwrap()
        .contains("no automatic remediation"));
}

#[tokio::test]
async fn passed_resolved_and_warning_findings() {
    let world = World::new(Config::default());
    let passed = world
        .process(fixture("securityhub-fsbp-s3-2-passed-resolved.json"))
        .await;
    assert_eq!(passed.decision, Some(Decision::DoNothing));
    let warning = world
        .process(fixture("securityhub-cis120-1-6-warning.json"))
        .await;
    assert_eq!(warning.decision, Some(Decision::SuppressFinding));
    assert!(warning.actions.suppress_finding);
}

#[tokio::test]
async fn resolved_finding_with_open_ticket_closes_it() {
    let world = World::new(Config::default());
    let finding = fixture("securityhub-fsbp-s3-2-passed-resolved.json");
    world
        .records
        .put_ticket(&TicketRecord {
            ticket_id: "SOAR-9".into(),
            finding_id: finding.id.clone(),
            account_id: "111111111111".into(),
            control_id: Some("S3.2".into()),
            team: None,
            title: "t".into(),
            penalty_score: None,
            opened_at: 0,
            closed_at: None,
            expires_at: 0,
        })
        .await
        .unwrap();
    let pad = world.process(finding).await;
    assert_eq!(pad.decision, Some(Decision::CloseTicket));
    assert_eq!(pad.db.ticket.unwrap().ticket_id, "SOAR-9");
}

struct ConfidentModel;

#[async_trait]
impl ThreatScorer for ConfidentModel {
    async fn score(&self, _event: &NormalizedEvent) -> Option<f64> {
        Some(100.0)
    }
}

#[tokio::test]
async fn threat_findings_are_incidents_with_triage_from_the_scorer() {
    let world = World::new(Config {
        reassign_accounts: false,
        ..Config::default()
    });
    let finding = fixture("guardduty-asff-doc.json");
    let plain = world.process(finding.clone()).await;
    assert_eq!(plain.decision, Some(Decision::Incident));
    let triage = plain.triage.unwrap();
    assert!(!triage.auto_remediate);
    let modelled = world
        .process_with(finding, &ConfidentModel)
        .await
        .triage
        .unwrap();
    // MEDIUM (20) + 0.6 x 100, times the GuardDuty weight 1.2.
    assert!((modelled.priority - 96.0).abs() < 1e-9, "{modelled:?}");
    assert!(modelled.auto_remediate && modelled.requires_human_review);
}

#[tokio::test]
async fn health_notification_is_reclassified_in_security_hub_and_the_run_ends() {
    let world = World::new(Config::default());
    let finding = fixture("health-ses-event-finding-doc.json");
    world
        .updater
        .import(std::slice::from_ref(&finding))
        .await
        .unwrap();
    let pad = world.process(finding.clone()).await;
    assert!(pad.actions.terminate_for_reprocessing);
    let stored = world.updater.finding(&finding.id).unwrap();
    assert_eq!(stored.severity_label(), Some(SeverityLabel::Informational));
}

use soar_core::ports::FindingUpdater;

#[tokio::test]
async fn delegated_finding_is_reimported_under_the_owner_and_suppressed() {
    let world = World::new(Config::default());
    let mut finding = fixture("access-analyzer-s3-cross-account-doc.json");
    finding.resources[0].id = "arn:aws:iam::444455556666:role/shared".into();
    let pad = world.process(finding.clone()).await;
    assert_eq!(pad.decision, Some(Decision::SuppressFinding));
    assert!(pad.actions.suppress_finding && pad.actions.terminate_for_reprocessing);
    let moved = world
        .updater
        .finding(&format!("{}-reassigned-444455556666", finding.id))
        .unwrap();
    assert_eq!(moved.aws_account_id, "444455556666");
}

struct DownDirectory;

#[async_trait]
impl AccountDirectory for DownDirectory {
    async fn account(&self, _account_id: &str) -> Result<AccountData, PortError> {
        Err(PortError {
            port: "AccountDirectory",
            operation: "DescribeAccount",
            class: ErrorClass::Throttled,
            message: "Rate exceeded".into(),
        })
    }
}

#[tokio::test]
async fn account_lookup_failure_degrades_instead_of_dropping_the_finding() {
    let world = World::new(Config::default());
    let ports = Ports {
        accounts: &DownDirectory,
        updater: &world.updater,
        records: &world.records,
        scorer: &NoModel,
        remediable: &world.remediable,
    };
    let pad = Pipeline::new(&world.config, ports)
        .process(fixture("securityhub-fsbp-lambda-1-failed.json"))
        .await
        .unwrap();
    assert_eq!(pad.control_action, Some(ControlAction::Ticket));
    assert_eq!(pad.account.id, "111111111111");
    assert!(
        pad.messages
            .actions_taken
            .contains("Could not look up the account"),
        "{}",
        pad.messages.actions_taken
    );
}
