//! `soar tickets overdue` and `soar tickets open`.

use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};
use soar_core::ports::memory::MemoryRecords;
use soar_core::ports::{TicketRecord, TicketSystem};
use soar_core::tickets::{
    overdue_by_severity, overdue_of, Opened, SystemKind, TicketDesk, TicketKind, TicketingConfig,
};
use soar_core::{AccountData, Scratchpad, Timestamp};
use soar_tickets::{CredentialSource, Credentials, JiraConfig, ServiceNowConfig, SystemSettings};

use crate::{findings_of_documents, read_config, Args, Failure, Input};

/// The ticket records of a file: a JSON array of them, or an object whose
/// `tickets` member is one (the form of a file of every kind of record).
/// An error names the member that is wrong.
fn read_records(path: &Path) -> Result<Vec<TicketRecord>, Failure> {
    #[derive(Deserialize)]
    struct Records {
        tickets: Vec<TicketRecord>,
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("cannot read {}: {e}", path.display())))?;
    let mut de = serde_json::Deserializer::from_str(&text);
    let read = if text.trim_start().starts_with('{') {
        serde_path_to_error::deserialize::<_, Records>(&mut de).map(|r| r.tickets)
    } else {
        serde_path_to_error::deserialize::<_, Vec<TicketRecord>>(&mut de)
    };
    read.map_err(|e| Failure::Input(format!("{}: {}: {}", path.display(), e.path(), e.inner())))
}

/// `soar tickets overdue`: the open tickets of `--records` past their SLA
/// at `--at` (default now), with `--config`'s SLAs.
pub(crate) fn overdue(args: &Args) -> Result<Value, Failure> {
    let path = args
        .records
        .as_ref()
        .ok_or_else(|| Failure::Input("--records FILE is required".to_owned()))?;
    let config = read_config(args.config.as_ref())?;
    let now = args.at_or_now()?;
    let tickets = read_records(path)?;
    let overdue = overdue_of(tickets, &config.tickets, now.0);
    let listed: Vec<Value> = overdue
        .iter()
        .map(|o| {
            let t = &o.ticket;
            json!({
                "ticket_id": t.ticket_id,
                "finding_id": t.finding_id,
                "account_id": t.account_id,
                "title": t.title,
                "severity": t.severity,
                "project": t.project,
                "team": t.team,
                "opened_at": t.opened_at,
                "due_at": t.due_at,
                "hours_overdue": o.hours_overdue,
                "escalated": o.escalated,
            })
        })
        .collect();
    Ok(json!({
        "at": now.0,
        "overdue": listed,
        "by_severity": overdue_by_severity(&overdue),
    }))
}

/// `soar tickets open`, with the credentials of `SOAR_TICKET_USER` and
/// `SOAR_TICKET_TOKEN`.
pub(crate) async fn open_from_env(args: &Args) -> Result<Vec<Value>, Failure> {
    let credentials =
        Credentials::from_env("SOAR_TICKET_USER", "SOAR_TICKET_TOKEN").map_err(|e| {
            Failure::Input(format!(
                "{}: set SOAR_TICKET_TOKEN (and SOAR_TICKET_USER for basic auth)",
                e.message
            ))
        })?;
    open(args, Arc::new(credentials)).await
}

/// Opens the TEAM FIX ticket of each finding of `--finding`, once per
/// finding however often it appears, and returns one line per finding:
/// `{"finding_id", "ticket_id", "reference", "project", "opened"}`.
pub(crate) async fn open(
    args: &Args,
    credentials: Arc<dyn CredentialSource>,
) -> Result<Vec<Value>, Failure> {
    let config = read_config(args.config.as_ref())?;
    let url = args
        .url
        .clone()
        .ok_or_else(|| Failure::Input("--url URL is required".to_owned()))?;
    let kind = match args.system.as_deref() {
        Some("jira") => SystemKind::Jira,
        Some("servicenow") => SystemKind::ServiceNow,
        other => {
            return Err(Failure::Input(format!(
                "--system must be jira or servicenow, not {other:?}"
            )))
        }
    };
    let settings = SystemSettings {
        jira: JiraConfig {
            url: url.clone(),
            ..JiraConfig::default()
        },
        servicenow: ServiceNowConfig {
            url,
            ..ServiceNowConfig::default()
        },
    };
    let system: Arc<dyn TicketSystem> = settings
        .build(kind, credentials)
        .map_err(|e| Failure::Input(e.to_string()))?;
    let ticketing = match &args.project {
        // The one project for every ticket: no routing tag is read (that is
        // what `system` names), and no SOC queue.
        Some(project) => TicketingConfig {
            system: SystemKind::None,
            default_project: project.clone(),
            soc_project: None,
            ..config.tickets
        },
        None => TicketingConfig {
            system: kind,
            ..config.tickets
        },
    };
    open_with(args, system.as_ref(), &ticketing, &config.accounts).await
}

async fn open_with(
    args: &Args,
    system: &dyn TicketSystem,
    ticketing: &TicketingConfig,
    accounts: &[AccountData],
) -> Result<Vec<Value>, Failure> {
    let input = Input::open(args.finding.as_ref())?;
    let name = input.name.clone();
    let documents = findings_of_documents(&name, BufReader::new(input.reader))?;
    // In memory: a finding met twice in this run finds its ticket open.
    let records = MemoryRecords::default();
    let desk = TicketDesk {
        system,
        records: &records,
        config: ticketing,
    };
    let now = Timestamp::now().0;
    let mut printed = Vec::new();
    for document in documents {
        let (at, findings) =
            document.map_err(|e| Failure::Input(format!("cannot read {name}: {e}")))?;
        let findings = findings.map_err(|e| Failure::Input(format!("{at}: {e}")))?;
        for finding in findings {
            let mut pad = Scratchpad::new(finding);
            let account_id = pad.finding.view().resource_account_id().to_owned();
            pad.account = accounts
                .iter()
                .find(|a| a.id == account_id)
                .cloned()
                .unwrap_or(AccountData {
                    id: account_id,
                    ..AccountData::default()
                });
            pad.control_id = pad.finding.view().control_id().map(str::to_owned);
            let opened = desk
                .open(&pad, TicketKind::TeamFix, now, now)
                .await
                .map_err(|e| Failure::Internal(e.to_string()))?;
            let record = match opened {
                Opened::Failed { error, .. } => {
                    return Err(Failure::Remote(format!(
                        "{at}: the ticket for finding {} was not opened: {error}",
                        pad.finding.view().id()
                    )))
                }
                Opened::New(record) => (record, true),
                Opened::Existing(record) => (record, false),
            };
            let (record, new) = record;
            printed.push(json!({
                "finding_id": record.finding_id,
                "ticket_id": record.ticket_id,
                "reference": soar_core::tickets::reference(&record.finding_id),
                "project": record.project,
                "opened": new,
            }));
        }
    }
    Ok(printed)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use soar_asff::SeverityLabel;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    fn temp_file(name: &str, contents: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("soar-cli-tickets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(contents.as_bytes())
            .unwrap();
        path
    }

    fn record(finding: &str, severity: &str, opened_at: i64, closed_at: Option<i64>) -> Value {
        json!({
            "ticket_id": format!("SEC-{finding}"), "finding_id": finding,
            "account_id": "111111111111", "control_id": "S3.8", "team": "payments",
            "title": format!("TEAM FIX: {finding}"), "penalty_score": 1.0,
            "opened_at": opened_at, "closed_at": closed_at, "expires_at": 0,
            "severity": severity,
        })
    }

    /// The overdue tickets printed: ID, hours overdue, escalated.
    fn listed(printed: &Value) -> Vec<(&str, i64, bool)> {
        printed["overdue"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["ticket_id"].as_str().unwrap(),
                    o["hours_overdue"].as_i64().unwrap(),
                    o["escalated"].as_bool().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn overdue_lists_the_open_tickets_past_their_sla_from_either_form_of_file() {
        // 2026-12-06T12:00:00Z
        let now = 1_796_558_400;
        let tickets = json!([
            record("1", "CRITICAL", now - 5 * 3_600, None),
            record("2", "CRITICAL", now - 5 * 3_600, Some(now - 60)),
            record("3", "MEDIUM", now - 5 * 3_600, None),
            record("4", "HIGH", now - 30 * 3_600, None),
        ]);
        for contents in [tickets.clone(), json!({"tickets": tickets})] {
            let path = temp_file("records.json", &contents.to_string());
            let args = Args {
                records: Some(path),
                at: Some("2026-12-06T12:00:00Z".into()),
                ..Args::default()
            };
            let printed = overdue(&args).unwrap();
            assert_eq!(printed["at"], now);
            assert_eq!(listed(&printed), [("SEC-4", 22, true), ("SEC-1", 1, true)]);
            assert_eq!(printed["by_severity"], json!({"CRITICAL": 1, "HIGH": 1}));
        }
    }

    #[test]
    fn the_shipped_example_lists_its_three_overdue_tickets() {
        let args = Args {
            records: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../tickets.json").into()),
            at: Some("2026-12-06T12:00:00Z".into()),
            ..Args::default()
        };
        let printed = overdue(&args).unwrap();
        assert_eq!(
            listed(&printed),
            [
                ("SEC-104", 28, false),
                ("SEC-102", 22, true),
                ("SEC-101", 2, true)
            ]
        );
    }

    #[test]
    fn a_bad_records_file_names_the_member() {
        let path = temp_file("bad.json", r#"[{"ticket_id": 1}]"#);
        let args = Args {
            records: Some(path),
            ..Args::default()
        };
        let Err(Failure::Input(message)) = overdue(&args) else {
            panic!("not an input failure")
        };
        assert!(message.contains("[0].ticket_id"), "{message}");
    }

    fn finding_file() -> PathBuf {
        let finding = soar_asff::Finding {
            id: "arn:aws:securityhub:eu-west-1:111111111111:security-control/S3.8/finding/f-1"
                .into(),
            product_arn: "arn:aws:securityhub:eu-west-1::product/aws/securityhub".into(),
            aws_account_id: "111111111111".into(),
            title: "S3 general purpose buckets should block public access".into(),
            severity: Some(soar_asff::Severity {
                label: Some(SeverityLabel::High),
                ..Default::default()
            }),
            ..Default::default()
        };
        let line = serde_json::to_string(&finding).unwrap();
        // The same finding twice in one run.
        temp_file("findings.jsonl", &format!("{line}\n{line}\n"))
    }

    fn open_args(url: String) -> Args {
        Args {
            finding: Some(finding_file()),
            system: Some("jira".into()),
            url: Some(url),
            project: Some("SEC".into()),
            ..Args::default()
        }
    }

    #[tokio::test]
    async fn open_opens_one_ticket_per_finding_and_prints_its_id() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/rest/api/3/issue"))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"key": "SEC-7"})))
            .expect(1)
            .mount(&server)
            .await;
        let credentials = Arc::new(Credentials::basic("me@example.com", "token"));
        let printed = open(&open_args(server.uri()), credentials).await.unwrap();
        assert_eq!(printed.len(), 2);
        assert_eq!(
            (
                printed[0]["ticket_id"].as_str(),
                printed[0]["opened"].as_bool()
            ),
            (Some("SEC-7"), Some(true))
        );
        assert_eq!(
            (
                printed[1]["ticket_id"].as_str(),
                printed[1]["opened"].as_bool()
            ),
            (Some("SEC-7"), Some(false)),
            "the second time, the same ticket"
        );
        let sent = server.received_requests().await.unwrap();
        let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
        assert_eq!(body["fields"]["project"]["key"], "SEC");
        assert_eq!(body["fields"]["priority"]["name"], "High");
    }

    #[tokio::test]
    async fn open_fails_at_once_on_a_401() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/rest/api/3/issue"))
            .respond_with(ResponseTemplate::new(401))
            .expect(1)
            .mount(&server)
            .await;
        let credentials = Arc::new(Credentials::basic("me@example.com", "wrong"));
        let Err(Failure::Remote(message)) = open(&open_args(server.uri()), credentials).await
        else {
            panic!("not a remote failure")
        };
        assert!(
            message.contains("HTTP 401") && message.contains("access denied"),
            "{message}"
        );
    }
}
