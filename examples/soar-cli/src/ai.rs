//! `soar ai` and `soar report`: soar-ai's analysis and weekly report, on
//! Bedrock or (`--offline`) on the offline model.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use soar_ai::bedrock::BedrockModel;
use soar_ai::report::WeeklyReport;
use soar_ai::{AiConfig, Analyst, LanguageModel, OfflineModel, PromptKind, Prompts};
use soar_core::ports::memory::MemoryRecords;
use soar_core::ports::{History, RecordStore};
use soar_core::{Config, ControlAction, Decision, Scratchpad};
use soar_incident::IncidentConfig;
use soar_lambda::deployment::load_sdk_config;

use crate::{read_config, read_event, read_settings, Args, Failure, Offline};

/// The settings of `--ai-config FILE` (soar_ai::AiConfig, as JSON), or the
/// defaults.
fn read_ai_config(path: Option<&PathBuf>) -> Result<AiConfig, Failure> {
    let Some(path) = path else {
        return Ok(AiConfig::default());
    };
    read_json(path)
}

/// A JSON file as `T`; an error names the member that is wrong.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("cannot read {}: {e}", path.display())))?;
    let mut de = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|e| Failure::Input(format!("{}: {}: {}", path.display(), e.path(), e.inner())))
}

/// The analyst of the command line: the offline model with `--offline`,
/// else Bedrock in the configured Region (`region` of `--ai-config`, else
/// the default chain's), with `--config`'s retry policy; the templates of
/// `--prompts DIR` over the built-in ones.
async fn analyst(args: &Args, config: &Config) -> Result<Analyst, Failure> {
    let ai = read_ai_config(args.ai_config.as_ref())?;
    let prompts = match &args.prompts {
        Some(dir) => Prompts::from_dir(dir).map_err(|e| Failure::Input(e.to_string()))?,
        None => Prompts::builtin(),
    };
    let model: Arc<dyn LanguageModel> = if args.offline {
        Arc::new(OfflineModel)
    } else {
        let sdk = load_sdk_config(&config.aws_retry).await;
        Arc::new(BedrockModel::new(BedrockModel::client(&sdk, &ai), &ai))
    };
    Ok(Analyst::new(model, prompts, ai))
}

/// The kind of prompt `soar ai` shows for a decided Scratchpad: `--kind`,
/// else what its message needs. A failed control decided for remediation
/// has not been remediated here, offline: it gets the message soar sends
/// when it has fixed it.
fn kind_for(pad: &Scratchpad, forced: Option<&str>) -> Result<Option<PromptKind>, Failure> {
    if let Some(name) = forced {
        return name.parse().map(Some).map_err(Failure::Input);
    }
    if let Some(kind) = soar_ai::analysis::prompt_kind(pad) {
        return Ok(Some(kind));
    }
    let remediable = pad.decision == Some(Decision::FailedControl)
        && pad.control_action == Some(ControlAction::Remediate)
        && !pad.actions.suppress_finding;
    Ok(remediable.then_some(PromptKind::Autoremediation))
}

/// `soar ai`: decides each finding of `--finding` offline (accounts from
/// `--config`, incidents classified with `--settings`), and prints, one
/// JSON line per finding, the prompt exactly as it would be sent
/// (anonymised) and the analysis (de-anonymised).
pub(crate) async fn ai(args: &Args) -> Result<Vec<Value>, Failure> {
    let config = read_config(args.config.as_ref())?;
    let incidents: IncidentConfig = read_settings(args.settings.as_ref())?;
    let event = read_event(args.finding.as_ref())?;
    let findings = soar_incident::findings_of(&event).map_err(|e| Failure::Input(e.to_string()))?;
    let analyst = analyst(args, &config).await?;
    let offline = Offline::new(&config);
    let pipeline = offline.pipeline(&config);
    let mut printed = Vec::new();
    for finding in findings {
        let mut pad = pipeline
            .process(finding)
            .await
            .map_err(|e| Failure::Input(e.to_string()))?;
        soar_incident::classify_scratchpad(&mut pad, &incidents);
        let id = pad.finding.view().id().to_owned();
        let Some(kind) = kind_for(&pad, args.kind.as_deref())? else {
            printed.push(json!({
                "finding_id": id,
                "decision": pad.decision,
                "prompt": null,
                "analysis": null,
                "note": format!(
                    "no message for this finding, so no analysis: {}",
                    pad.decision_reason.as_deref().unwrap_or("nothing to do")
                ),
            }));
            continue;
        };
        let (prompt, masker) = analyst.finding_prompt(&pad, kind);
        let analysis = analyst.ask(prompt, &masker).await;
        printed.push(json!({
            "finding_id": id,
            "kind": kind.name(),
            "model": analyst.model_name(),
            "system": analysis.prompt.system,
            "prompt": analysis.prompt.text,
            "analysis": analysis.text(),
            "analysed": analysis.is_analysed(),
        }));
    }
    Ok(printed)
}

/// `soar report`: the weekly report of the week ending at `--at` (default
/// now) from the records of `--records` (a JSON object with `tickets`,
/// `incidents` and `autoremediations`, as the record store keeps them),
/// with the model's narrative; plain text, `--html`, or `--json` (the
/// figures and the narrative).
pub(crate) async fn report(args: &Args) -> Result<crate::Output, Failure> {
    let path = args
        .records
        .as_ref()
        .ok_or_else(|| Failure::Input("--records FILE is required".to_owned()))?;
    let config = read_config(args.config.as_ref())?;
    let now = args.at_or_now()?;
    let history: History = read_json(path)?;
    // Through the port, as the weekly-report function reads DynamoDB.
    let history = MemoryRecords::with_history(history)
        .history(now.0 - 4 * soar_ai::report::WEEK)
        .await
        .map_err(|e| Failure::Internal(e.to_string()))?;
    let report = WeeklyReport::compute(&history, now.0, &config.tickets);
    let narrative = analyst(args, &config).await?.narrate(&report).await;
    Ok(if args.json {
        crate::Output::Json(json!({"report": report, "narrative": narrative}))
    } else if args.html {
        crate::Output::Text(report.to_html(&narrative))
    } else {
        crate::Output::Text(report.to_text(&narrative))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(path: &str) -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(path)
    }

    fn offline(finding: &str) -> Args {
        Args {
            command: "ai".into(),
            finding: Some(root(finding)),
            config: Some(root("examples/config.json")),
            offline: true,
            ..Args::default()
        }
    }

    #[tokio::test]
    async fn ai_prints_the_masked_prompt_and_the_restored_analysis() {
        let printed = ai(&offline(
            "examples/findings/s3-8-block-public-access-failed.json",
        ))
        .await
        .unwrap();
        assert_eq!(printed.len(), 1);
        let out = &printed[0];
        // examples/config.json remediates S3.8: the AUTOFIXED message.
        assert_eq!(out["kind"], "autoremediation");
        assert_eq!(out["model"], "offline");
        assert_eq!(out["analysed"], true);
        let prompt = out["prompt"].as_str().unwrap();
        assert!(!prompt.contains("111111111111"), "{prompt}");
        assert!(
            prompt.contains("Account: <ACCOUNT_1> (prod)") && !prompt.contains("payments-prod"),
            "{prompt}"
        );
        let analysis = out["analysis"].as_str().unwrap();
        assert!(
            analysis.starts_with(
                "S3.8 S3 Block Public Access setting should be enabled at the bucket-level (HIGH)."
            ),
            "{analysis}"
        );
        assert!(
            !analysis.contains("<ACCOUNT_1>") && !analysis.contains("<ARN_"),
            "{analysis}"
        );
    }

    #[tokio::test]
    async fn ai_takes_a_forced_kind_and_refuses_an_unknown_one() {
        let mut args = offline("examples/findings/s3-8-block-public-access-failed.json");
        args.kind = Some("ticket_opened".into());
        let printed = ai(&args).await.unwrap();
        assert_eq!(printed[0]["kind"], "ticket_opened");
        assert!(printed[0]["prompt"]
            .as_str()
            .unwrap()
            .contains("soar opened a ticket"));
        args.kind = Some("ticket".into());
        let Err(Failure::Input(message)) = ai(&args).await else {
            panic!("not an input failure")
        };
        assert!(message.contains("no prompt `ticket`"), "{message}");
    }

    #[tokio::test]
    async fn ai_says_why_a_suppressed_finding_has_no_analysis() {
        let printed = ai(&offline("examples/findings/cis-1-6-warning-finding.json"))
            .await
            .unwrap();
        assert_eq!(printed[0]["prompt"], Value::Null);
        assert!(printed[0]["note"]
            .as_str()
            .unwrap()
            .starts_with("no message for this finding"));
    }

    fn report_args() -> Args {
        Args {
            command: "report".into(),
            records: Some(root("examples/records.json")),
            at: Some("2026-12-07T00:00:00Z".into()),
            offline: true,
            ..Args::default()
        }
    }

    #[tokio::test]
    async fn report_prints_the_week_of_the_example_records() {
        let crate::Output::Text(text) = report(&report_args()).await.unwrap() else {
            panic!("not text")
        };
        assert!(
            text.starts_with("Weekly security report: 2026-11-30 to 2026-12-06\n"),
            "{text}"
        );
        for line in [
            "Tickets opened: 5 (last week 3, +2)",
            "Tickets closed: 3 (last week 2, +1)",
            "Autoremediations: 4 (last week 2, +2): S3.8 3, EC2.7 1",
            "Incidents: 2 (last week 0, +2)",
            "S3.8 was fixed automatically 3 times",
            "ACCOUNT 333333333333",
        ] {
            assert!(text.contains(line), "no `{line}` in:\n{text}");
        }
        let mut args = report_args();
        args.html = true;
        let crate::Output::Text(html) = report(&args).await.unwrap() else {
            panic!("not text")
        };
        assert!(html.starts_with("<!DOCTYPE html>"));
        args.html = false;
        args.json = true;
        let crate::Output::Json(value) = report(&args).await.unwrap() else {
            panic!("not JSON")
        };
        assert_eq!(value["report"]["this_week"]["tickets_opened"], 5);
        assert_eq!(value["narrative"]["notes"], json!([]));
    }

    #[tokio::test]
    async fn report_names_the_member_that_is_wrong() {
        let path = std::env::temp_dir().join(format!("soar-records-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"tickets": [{"ticket_id": "SEC-1"}]}"#).unwrap();
        let args = Args {
            records: Some(path.clone()),
            ..report_args()
        };
        let Err(Failure::Input(message)) = report(&args).await else {
            panic!("not an input failure")
        };
        std::fs::remove_file(&path).unwrap();
        assert!(
            message.contains("tickets[0]") && message.contains("finding_id"),
            "{message}"
        );
    }
}
