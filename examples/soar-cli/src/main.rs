//! `soar`: run soar's pipeline and scoring on a finding from the command line.
//!
//! `main` only parses arguments and maps errors to exit codes; each command
//! is a function of its arguments that returns the JSON to print, so tests
//! call the commands directly.

mod ai;
mod batch;
mod cli;
mod tickets;

use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::{json, Value};
use soar_asff::{Event, LazyFinding};
use soar_core::aws::AssumeRoleSessions;
use soar_core::ports::memory::{DryRunUpdater, MemoryRecords, StaticAccounts};
use soar_core::scoring::{penalty, NoModel, NormalizedEvent};
use soar_core::{Config, Pipeline, Ports};
use soar_incident::{respond, IncidentConfig};
use soar_lambda::deployment::{load_sdk_config, Deployment};
use soar_lambda::settings::LambdaSettings;
use soar_lambda::{asl, cost, template};
use soar_remediate::{remediate_finding, ContextFactory, ControlMeta, Mode, Registry, Settings};

/// Why a command failed, and so which exit code it gets.
#[derive(Debug)]
enum Failure {
    /// Unreadable or invalid input: exit 2.
    Input(String),
    /// Arguments that do not parse, as clap words it (`error: ...`, the
    /// usage): exit 2.
    Usage(String),
    /// Something that should not happen: exit 1.
    Internal(String),
    /// A remote system refused or failed (a ticket system's 401, 403, or
    /// 5xx after the retries): exit 1.
    Remote(String),
    /// Not a failure: a batch printed as it went, and its summary, whose
    /// exit code says whether every document was decided.
    Summary(batch::Summary),
}

/// Parsed command-line arguments.
#[derive(Debug, Default, PartialEq)]
struct Args {
    command: String,
    finding: Option<PathBuf>,
    config: Option<PathBuf>,
    settings: Option<PathBuf>,
    role_name: Option<String>,
    external_id: Option<String>,
    dry_run: bool,
    aws: bool,
    json: bool,
    markdown: bool,
    controls: Vec<String>,
    out: Option<PathBuf>,
    records: Option<PathBuf>,
    at: Option<String>,
    system: Option<String>,
    url: Option<String>,
    project: Option<String>,
    offline: bool,
    ai_config: Option<PathBuf>,
    prompts: Option<PathBuf>,
    kind: Option<String>,
    html: bool,
    without_ai: bool,
}

fn read_event(path: Option<&PathBuf>) -> Result<Event, Failure> {
    let (name, bytes) = read_input(path)?;
    Event::parse(&bytes).map_err(|e| Failure::Input(format!("{name}: {e}")))
}

/// The bytes of `--finding FILE` (`-`: standard input), and the name to
/// give them in messages.
fn read_input(path: Option<&PathBuf>) -> Result<(String, Vec<u8>), Failure> {
    let path = path.ok_or_else(|| Failure::Input("--finding FILE is required".to_owned()))?;
    let bytes = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| Failure::Input(format!("cannot read standard input: {e}")))?;
        bytes
    } else {
        std::fs::read(path)
            .map_err(|e| Failure::Input(format!("cannot read {}: {e}", path.display())))?
    };
    let name = if path.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    };
    Ok((name, bytes))
}

fn read_config(path: Option<&PathBuf>) -> Result<Config, Failure> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("cannot read {}: {e}", path.display())))?;
    Config::from_json(&text).map_err(|e| Failure::Input(format!("{}: {e}", path.display())))
}

/// The ports of an offline run: accounts from the configuration, Security
/// Hub not written to and nothing kept of what would have been (memory
/// stays flat over any number of findings), records in memory, and every
/// remediation compiled in.
pub(crate) struct Offline {
    accounts: StaticAccounts,
    updater: DryRunUpdater,
    records: MemoryRecords,
    remediable: Registry,
}

impl Offline {
    pub(crate) fn new(config: &Config) -> Self {
        Offline {
            accounts: StaticAccounts::new(config.accounts.clone()),
            updater: DryRunUpdater,
            records: MemoryRecords::default(),
            remediable: Registry::default(),
        }
    }

    /// The decision pipeline of `config` on these ports.
    pub(crate) fn pipeline<'a>(&'a self, config: &'a Config) -> Pipeline<'a> {
        Pipeline::new(
            config,
            Ports {
                accounts: &self.accounts,
                updater: &self.updater,
                records: &self.records,
                scorer: &NoModel,
                remediable: &self.remediable,
            },
        )
    }
}

impl Args {
    /// `--at`, RFC 3339, or now.
    fn at_or_now(&self) -> Result<soar_core::Timestamp, Failure> {
        match &self.at {
            Some(at) => {
                soar_core::Timestamp::parse(at).map_err(|e| Failure::Input(format!("--at: {e}")))
            }
            None => Ok(soar_core::Timestamp::now()),
        }
    }
}

/// What `--finding FILE` (`-`: standard input) is read from.
struct Input {
    /// The name to give it in messages.
    name: String,
    reader: Box<dyn Read>,
    /// Its length, when it is a file.
    length: Option<u64>,
}

impl Input {
    fn open(path: Option<&PathBuf>) -> Result<Input, Failure> {
        let path = path.ok_or_else(|| Failure::Input("--finding FILE is required".to_owned()))?;
        if path.as_os_str() == "-" {
            return Ok(Input {
                name: "standard input".to_owned(),
                reader: Box::new(std::io::stdin().lock()),
                length: None,
            });
        }
        let file = std::fs::File::open(path)
            .map_err(|e| Failure::Input(format!("cannot read {}: {e}", path.display())))?;
        Ok(Input {
            name: path.display().to_string(),
            length: file.metadata().ok().map(|m| m.len()),
            reader: Box::new(file),
        })
    }
}

/// `soar process`: the decided Scratchpad of each finding of each document
/// of `--finding`, one per line on `out`, as the documents are read (JSON
/// lines stream); what cannot be decided is reported on standard error,
/// and the run is summed up.
async fn process(args: &Args, out: &mut dyn Write) -> Result<batch::Summary, Failure> {
    if args.aws && args.dry_run {
        return Err(Failure::Input(
            "--aws writes to Security Hub and --dry-run writes nothing: choose one".to_owned(),
        ));
    }
    process_input(args, Input::open(args.finding.as_ref())?, out).await
}

/// `soar process` on `input`.
async fn process_input(
    args: &Args,
    input: Input,
    out: &mut dyn Write,
) -> Result<batch::Summary, Failure> {
    let config = read_config(args.config.as_ref())?;
    let incidents: IncidentConfig = read_settings(args.settings.as_ref())?;
    let progress = progress_bar(input.length);
    let name = input.name.as_str();
    let reader = BufReader::with_capacity(1 << 16, progress.wrap_read(input.reader));
    if args.aws {
        let mut settings = LambdaSettings::from_env().map_err(|e| Failure::Input(e.to_string()))?;
        // --config and --settings replace SOAR_CONFIG and SOAR_INCIDENT_SETTINGS.
        if args.config.is_some() {
            settings.config = config;
        }
        if args.settings.is_some() {
            settings.incident = incidents;
        }
        let sdk = load_sdk_config(&settings.config.aws_retry).await;
        let deployment =
            Deployment::new(settings, sdk).map_err(|e| Failure::Input(e.to_string()))?;
        let pipeline = deployment.pipeline();
        let documents = findings_of_documents(name, reader)?;
        return decide_all(
            &pipeline,
            documents,
            &deployment.settings.incident,
            out,
            &progress,
        )
        .await;
    }
    let offline = Offline::new(&config);
    let pipeline = offline.pipeline(&config);
    let documents = findings_of_documents(name, reader)?;
    decide_all(&pipeline, documents, &incidents, out, &progress).await
}

/// A progress bar on standard error when it is a terminal: by bytes for a
/// file, by documents for standard input.
fn progress_bar(length: Option<u64>) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    match length {
        Some(length) => indicatif::ProgressBar::new(length),
        None => indicatif::ProgressBar::new_spinner(),
    }
}

/// One document's findings (GuardDuty, CloudTrail, alarm and Health events
/// become findings first), or why it has none, and where it is.
type DocumentFindings = (String, Result<Vec<LazyFinding>, String>);

/// The findings of each document of `input`, read as they are needed. A
/// file of one document is refused as a whole, as before batches: exit 2,
/// the reason, and nothing printed.
fn findings_of_documents(
    name: &str,
    input: impl BufRead,
) -> Result<impl Iterator<Item = std::io::Result<DocumentFindings>>, Failure> {
    let unreadable = |e: std::io::Error| Failure::Input(format!("cannot read {name}: {e}"));
    let mut documents = batch::read_documents(name, input).map_err(unreadable)?;
    let first = documents.next().transpose().map_err(unreadable)?;
    let second = documents.next().transpose().map_err(unreadable)?;
    let of = |document: batch::Document| {
        let findings = document
            .event
            .and_then(|event| soar_incident::lazy_findings_of(event).map_err(|e| e.to_string()));
        (document.at, findings)
    };
    let head: Vec<DocumentFindings> = match (first, second) {
        (Some(only), None) => {
            let (at, findings) = of(only);
            let findings = findings.map_err(|e| Failure::Input(format!("{at}: {e}")))?;
            vec![(at, Ok(findings))]
        }
        (first, second) => first.into_iter().chain(second).map(of).collect(),
    };
    Ok(head
        .into_iter()
        .map(Ok)
        .chain(documents.map(move |document| document.map(of))))
}

/// Decides every finding of every document, writing each Scratchpad as one
/// line of JSON as soon as it is decided.
async fn decide_all(
    pipeline: &Pipeline<'_>,
    documents: impl Iterator<Item = std::io::Result<DocumentFindings>>,
    incidents: &IncidentConfig,
    out: &mut dyn Write,
    progress: &indicatif::ProgressBar,
) -> Result<batch::Summary, Failure> {
    let started = std::time::Instant::now();
    let mut summary = batch::Summary::default();
    let report = |message: String| progress.suspend(|| eprintln!("soar: {message}"));
    for document in documents {
        let (at, findings) =
            document.map_err(|e| Failure::Input(format!("cannot read on: {e}")))?;
        if progress.length().is_none() {
            progress.inc(1);
        }
        let findings = match findings {
            Ok(findings) => findings,
            Err(error) => {
                report(format!("{at}: {error}"));
                summary.invalid += 1;
                continue;
            }
        };
        for finding in findings {
            let id = finding.view().id().to_owned();
            let mut pad = match pipeline.process(finding).await {
                Ok(pad) => pad,
                Err(error) => {
                    report(format!("{at}: finding {id}: {error}"));
                    summary.failed += 1;
                    continue;
                }
            };
            soar_incident::classify_scratchpad(&mut pad, incidents);
            serde_json::to_writer(&mut *out, &pad).map_err(|e| Failure::Internal(e.to_string()))?;
            writeln!(out).map_err(|e| Failure::Internal(format!("cannot write: {e}")))?;
            summary.count(&pad);
        }
    }
    progress.finish_and_clear();
    out.flush()
        .map_err(|e| Failure::Internal(format!("cannot write: {e}")))?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// `soar score`: the penalty of each finding and the triage of the event.
fn score(args: &Args) -> Result<Value, Failure> {
    let config = read_config(args.config.as_ref())?;
    let event = read_event(args.finding.as_ref())?;
    let findings: Vec<Value> = event
        .findings()
        .iter()
        .map(|finding| {
            let account = config
                .accounts
                .iter()
                .find(|a| a.id == finding.resource_account_id());
            let environment = account.and_then(|a| a.environment.as_deref());
            let kind = config.environments.classify(environment);
            json!({
                "id": finding.id,
                "control_id": finding.control_id(),
                "account_id": finding.resource_account_id(),
                "severity": finding.severity_label(),
                "normalized_severity": finding.normalized_severity(),
                "environment": environment,
                "environment_kind": kind,
                "penalty_score": penalty(finding.normalized_severity().unwrap_or(0), kind),
            })
        })
        .collect();
    // The most severe of the event's normalised events: every kind soar
    // parses, CloudTrail with the severity of its actor.
    let normalized = soar_incident::SecurityEvent::from_event(&event)
        .iter()
        .map(soar_incident::SecurityEvent::normalized)
        .max_by_key(|e| e.severity)
        .unwrap_or_else(|| NormalizedEvent::from_event(&event));
    let triage = config.triage.triage(&normalized, None);
    Ok(json!({ "event": normalized, "triage": triage, "findings": findings }))
}

/// `soar remediate`: each finding's control, in the finding's own account and
/// Region, against AWS (or an emulator).
async fn remediate(args: &Args) -> Result<Output, Failure> {
    let event = read_event(args.finding.as_ref())?;
    if event.findings().is_empty() {
        return Err(Failure::Input(format!(
            "a {} event carries no ASFF finding",
            event.kind()
        )));
    }
    let settings: Settings = read_settings(args.settings.as_ref())?;
    let contexts = contexts(args, settings).await?;
    let registry = Registry::default();
    let mut printed = Vec::with_capacity(event.findings().len());
    for finding in event.findings() {
        let report = remediate_finding(&registry, &contexts, finding, mode(args)).await;
        printed.push(serde_json::to_value(&report).map_err(|e| Failure::Internal(e.to_string()))?);
    }
    Ok(reports(printed))
}

/// The settings in `path` (JSON), or the defaults without one; an error
/// names the member that does not parse.
fn read_settings<T: serde::de::DeserializeOwned + Default>(
    path: Option<&PathBuf>,
) -> Result<T, Failure> {
    let Some(path) = path else {
        return Ok(T::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("cannot read {}: {e}", path.display())))?;
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| Failure::Input(format!("{}: {}: {}", path.display(), e.path(), e.inner())))
}

/// Contexts in each finding's own account and Region: the default
/// credential chain in the caller's own account, and the role `--role-name`
/// (default: `$SOAR_ROLE_NAME`) assumed in any other. `--config` holds the
/// AWS retry policy.
async fn contexts(args: &Args, settings: Settings) -> Result<ContextFactory, Failure> {
    let config = read_config(args.config.as_ref())?;
    // One retry policy for every AWS call: the SDK's standard mode,
    // configured here once.
    let sdk = load_sdk_config(&config.aws_retry).await;
    let role_name = args
        .role_name
        .clone()
        .or_else(|| std::env::var("SOAR_ROLE_NAME").ok());
    let mut sessions =
        AssumeRoleSessions::new(sdk.clone(), aws_sdk_sts::Client::new(&sdk), role_name);
    if let Some(external_id) = &args.external_id {
        sessions = sessions.external_id(external_id);
    }
    Ok(ContextFactory::new(Arc::new(sessions)).with_settings(settings))
}

fn mode(args: &Args) -> Mode {
    if args.dry_run {
        Mode::DryRun
    } else {
        Mode::Apply
    }
}

/// One report as one JSON document, several as one per line.
fn reports(mut reports: Vec<Value>) -> Output {
    match reports.len() {
        1 => Output::Json(reports.remove(0)),
        _ => Output::JsonLines(reports),
    }
}

/// `soar incident`: each finding's classification, ATT&CK mapping and
/// containment, in the finding's own account and Region.
async fn incident(args: &Args) -> Result<Output, Failure> {
    let event = read_event(args.finding.as_ref())?;
    // GuardDuty, CloudTrail and alarm events become findings first.
    let findings = soar_incident::findings_of(&event).map_err(|e| Failure::Input(e.to_string()))?;
    if findings.is_empty() {
        return Err(Failure::Input(format!(
            "a {} event carries no finding",
            event.kind()
        )));
    }
    let config: IncidentConfig = read_settings(args.settings.as_ref())?;
    let contexts = contexts(args, Settings::default()).await?;
    let mut printed = Vec::with_capacity(findings.len());
    for finding in &findings {
        let report = respond(finding, &config, &contexts, mode(args)).await;
        printed.push(serde_json::to_value(&report).map_err(|e| Failure::Internal(e.to_string()))?);
    }
    Ok(reports(printed))
}

/// `soar controls`: every control and what it needs.
fn controls(args: &Args) -> Result<Output, Failure> {
    let registry = Registry::default();
    if args.markdown {
        return Ok(Output::Text(registry.catalogue_markdown()));
    }
    let metas: Vec<&ControlMeta> = registry.iter().map(|c| c.meta()).collect();
    if args.json {
        return serde_json::to_value(&metas)
            .map(Output::Json)
            .map_err(|e| Failure::Internal(e.to_string()));
    }
    let mut text = String::new();
    for meta in metas {
        text.push_str(&format!(
            "{:<18} {:<9} destructive={:<5} {}\n{:<18} {}\n",
            meta.ids.join(","),
            meta.service,
            meta.destructive,
            meta.title,
            "",
            meta.iam_actions.join(" "),
        ));
    }
    Ok(Output::Text(text))
}

/// `soar iam-policy`: the least-privilege policy for all or some controls.
fn iam_policy(args: &Args) -> Result<Value, Failure> {
    let registry = Registry::default();
    if args.controls.is_empty() {
        return Ok(registry.iam_policy());
    }
    let ids: Vec<&str> = args.controls.iter().map(String::as_str).collect();
    registry
        .iam_policy_for(&ids)
        .map_err(|e| Failure::Input(e.to_string()))
}

/// `soar asl`: the Step Functions definitions, generated from the registry:
/// written into `--out DIR`, or printed as one JSON object keyed by file name.
fn asl(args: &Args) -> Result<Output, Failure> {
    let registry = Registry::default();
    let Some(dir) = &args.out else {
        let machines: serde_json::Map<String, Value> = asl::state_machines(&registry)
            .into_iter()
            .map(|machine| (machine.file_name(), machine.definition))
            .collect();
        return Ok(Output::Json(Value::Object(machines)));
    };
    let written = asl::write_all(&registry, dir)
        .map_err(|e| Failure::Input(format!("cannot write into {}: {e}", dir.display())))?;
    Ok(Output::Text(
        written
            .iter()
            .map(|path| format!("wrote {}\n", path.display()))
            .collect(),
    ))
}

/// `soar template --out DIR`: the SAM template and the StackSet template of
/// the member-account role, generated from the registry.
fn template(args: &Args) -> Result<Output, Failure> {
    let dir = args
        .out
        .as_ref()
        .ok_or_else(|| Failure::Input("template needs --out DIR".to_owned()))?;
    let mut text = String::new();
    for (name, contents) in template::template_files(&Registry::default()) {
        let path = dir.join(name);
        std::fs::write(&path, contents)
            .map_err(|e| Failure::Input(format!("cannot write {}: {e}", path.display())))?;
        text.push_str(&format!("wrote {}\n", path.display()));
    }
    Ok(Output::Text(text))
}

/// `soar cost`: what a finding costs on each path through the generated
/// machines, as a table or (`--json`) as JSON.
fn cost(args: &Args) -> Result<Output, Failure> {
    let mut model = cost::Model::default();
    if args.without_ai {
        // soar-analyse with AI off: an invocation that returns at once.
        model.handlers.analyse_ms = 1;
    }
    let report = cost::cost_report(&Registry::default(), &model)
        .map_err(|e| Failure::Internal(e.to_string()))?;
    Ok(if args.json {
        Output::Json(report.to_json())
    } else {
        Output::Text(report.to_text())
    })
}

/// What a command prints.
#[derive(Debug)]
enum Output {
    /// One JSON document, pretty-printed.
    Json(Value),
    /// One compact JSON document per line.
    JsonLines(Vec<Value>),
    /// Plain text.
    Text(String),
    /// Printed as it went (`soar process`): the summary, for standard error.
    Printed(batch::Summary),
}

async fn run(args: Args, out: &mut dyn Write) -> Result<Output, Failure> {
    match args.command.as_str() {
        "process" => process(&args, out).await.map(Output::Printed),
        "score" => score(&args).map(Output::Json),
        "remediate" => remediate(&args).await,
        "incident" => incident(&args).await,
        "controls" => controls(&args),
        "iam-policy" => iam_policy(&args).map(Output::Json),
        "asl" => asl(&args),
        "template" => template(&args),
        "cost" => cost(&args),
        "tickets overdue" => tickets::overdue(&args).map(Output::Json),
        "tickets open" => tickets::open_from_env(&args).await.map(Output::JsonLines),
        "ai" => ai::ai(&args).await.map(Output::JsonLines),
        "report" => ai::report(&args).await,
        other => Err(Failure::Input(format!("unknown command `{other}`"))),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let result = match cli::parse(std::env::args_os()) {
        Ok(cli::Parsed::Run(args)) => run(*args, &mut stdout).await,
        Ok(cli::Parsed::Print(text)) => Ok(Output::Text(text)),
        Err(failure) => Err(failure),
    };
    match result.and_then(|output| match output {
        Output::Json(value) => {
            serde_json::to_string_pretty(&value).map_err(|e| Failure::Internal(e.to_string()))
        }
        Output::JsonLines(values) => values
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map(|lines| lines.join("\n"))
            .map_err(|e| Failure::Internal(e.to_string())),
        Output::Text(text) => Ok(text.trim_end().to_owned()),
        Output::Printed(summary) => Err(Failure::Summary(summary)),
    }) {
        Ok(text) => {
            let printed = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
            match printed {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("soar: cannot write: {error}");
                    ExitCode::from(1)
                }
            }
        }
        Err(Failure::Summary(summary)) => {
            eprintln!("soar: {summary}");
            ExitCode::from(summary.exit_code())
        }
        Err(Failure::Input(message)) => {
            eprintln!("soar: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Usage(message)) => {
            eprint!("{message}");
            ExitCode::from(2)
        }
        Err(Failure::Internal(message)) => {
            eprintln!("soar: internal error: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Remote(message)) => {
            eprintln!("soar: {message}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(output: Output) -> Value {
        match output {
            Output::Json(value) => value,
            other => panic!("expected one JSON document, got {other:?}"),
        }
    }

    /// Runs a command with its standard output captured: what `process`
    /// prints becomes one JSON document (an array for several), and a batch
    /// with an undecided document its summary as an error.
    async fn run_captured(args: Args) -> Result<Output, Failure> {
        let mut printed = Vec::new();
        match run(args, &mut printed).await? {
            Output::Printed(summary) if summary.exit_code() != 0 => Err(Failure::Summary(summary)),
            Output::Printed(_) => {
                let mut pads: Vec<Value> = String::from_utf8(printed)
                    .unwrap()
                    .lines()
                    .map(|line| serde_json::from_str(line).unwrap())
                    .collect();
                Ok(Output::Json(match pads.len() {
                    1 => pads.remove(0),
                    _ => Value::Array(pads),
                }))
            }
            other => Ok(other),
        }
    }

    fn args(line: &str) -> Args {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let words = line.split_whitespace().map(|w| w.replace("@", root));
        match cli::parse(std::iter::once("soar".to_owned()).chain(words)) {
            Ok(cli::Parsed::Run(args)) => *args,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[tokio::test]
    async fn process_prints_the_decided_scratchpad() {
        let out = run_captured(args("process --finding @/examples/findings/s3-8-block-public-access-failed.json --config @/examples/config.json --dry-run"))
            .await
            .map(json)
            .unwrap();
        assert_eq!(out["decision"], "failed_control");
        // S3.8 has a remediation and examples/config.json enables it.
        assert_eq!(out["control_action"], "remediate");
        assert_eq!(out["account"]["team"], "payments");
        assert!(out["penalty_score"].as_f64().unwrap() > 10.0);
        assert!(out["decision_reason"].as_str().unwrap().contains("S3.8"));
    }

    #[tokio::test]
    async fn process_takes_every_kind_of_event_soar_parses() {
        // (fixture, decision): native GuardDuty, CloudTrail, an alarm named
        // with a severity, and AWS Health events become findings first.
        let cases = [
            (
                "guardduty-finding-backdoor-ec2-cc-activity-dns.json",
                "incident",
            ),
            ("guardduty-finding-iamuser-tor-ip-caller.json", "incident"),
            ("cloudtrail-console-signin-root.json", "incident"),
            (
                "cloudtrail-api-call-s3-createbucket-assumedrole.json",
                "incident",
            ),
            // soar-core's Health rule: a notification, sent again by
            // Security Hub, so nothing now.
            ("health-event-ec2-instance-retirement.json", "do_nothing"),
        ];
        for (file, decision) in cases {
            let out = run_captured(args(&format!(
                "process --finding @/testdata/eventbridge/{file} --dry-run"
            )))
            .await
            .map(json)
            .unwrap_or_else(|e| panic!("{file}: {e:?}"));
            assert_eq!(out["decision"], decision, "{file}: {out}");
            if decision == "incident" {
                assert!(out["triage"]["priority"].is_number(), "{file}: {out}");
            }
        }
        let dir = std::env::temp_dir().join(format!("soar-cli-alarm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/eventbridge/cloudwatch-alarm-state-change-single-metric.json"
        );
        let text = std::fs::read_to_string(fixture).unwrap();
        let named = dir.join("alarm.json");
        std::fs::write(
            &named,
            text.replace("ServerCpuTooHigh", "ServerCpu-HIGH-INFRA"),
        )
        .unwrap();
        let out = run_captured(args(&format!(
            "process --finding {} --dry-run",
            named.display()
        )))
        .await
        .map(json)
        .unwrap();
        assert_eq!(out["finding"]["Severity"]["Label"], "HIGH", "{out}");
        // An alarm not meant for soar is refused with the reason.
        let refused = run_captured(args(&format!("process --finding {fixture} --dry-run")))
            .await
            .unwrap_err();
        assert!(matches!(refused, Failure::Input(m) if m.contains("no severity in its name")));
    }

    /// `process` on `input` written to a file: the Scratchpads printed and
    /// the summary.
    async fn process_batch(name: &str, input: &str) -> (Vec<Value>, batch::Summary) {
        let dir = std::env::temp_dir().join(format!("soar-cli-batch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, input).unwrap();
        let mut printed = Vec::new();
        // examples/config.json turns auto-remediation on.
        let line = format!(
            "process --finding {} --config @/examples/config.json --dry-run",
            path.display()
        );
        let Output::Printed(summary) = run(args(&line), &mut printed).await.unwrap() else {
            panic!("process prints as it goes")
        };
        let pads = String::from_utf8(printed)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        (pads, summary)
    }

    #[tokio::test]
    async fn the_shipped_sample_batch_is_decided_one_scratchpad_per_line() {
        let batch = concat!(env!("CARGO_MANIFEST_DIR"), "/../sample-batch.jsonl");
        let input = std::fs::read_to_string(batch).unwrap();
        let (pads, summary) = process_batch("sample.jsonl", &input).await;
        let events = input.lines().count();
        assert_eq!(pads.len(), events);
        assert_eq!(
            (summary.findings(), summary.invalid, summary.failed),
            (events, 0, 0)
        );
        assert_eq!(summary.exit_code(), 0);
        // In the order of the input, each with its decision counted once.
        for (pad, line) in pads.iter().zip(input.lines()) {
            let event: Value = serde_json::from_str(line).unwrap();
            assert_eq!(pad["finding"]["Id"], event["detail"]["findings"][0]["Id"]);
        }
        for decision in ["incident", "remediate", "ticket", "suppress_finding"] {
            assert!(
                summary.decided.get(decision).is_some_and(|n| *n > 0),
                "{summary}"
            );
        }
        let line = summary.to_string();
        assert!(
            line.starts_with(&format!("decided {events} findings in ")),
            "{line}"
        );
        assert!(line.contains("findings/s): "), "{line}");
    }

    #[tokio::test]
    async fn a_batch_reports_its_bad_documents_and_decides_the_others() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let read = |file: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(format!("{root}/{file}")).unwrap())
                .unwrap()
        };
        let finding = read("examples/findings/s3-8-block-public-access-failed.json");
        let guardduty = read("testdata/eventbridge/guardduty-finding-iamuser-tor-ip-caller.json");
        // A JSON array of a bare finding and an event.
        let array = serde_json::to_string(&json!([finding, guardduty])).unwrap();
        let (pads, summary) = process_batch("array.json", &array).await;
        assert_eq!(pads.len(), 2);
        assert_eq!(pads[0]["decision"], "failed_control");
        assert_eq!(pads[1]["decision"], "incident");
        assert_eq!(summary.exit_code(), 0);
        // JSON lines with a broken line and an event that holds no finding.
        let lines = [
            serde_json::to_string(&finding).unwrap(),
            "{\"SchemaVersion\": ".to_owned(),
            r#"{"detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub", "detail": {"findings": []}}"#.to_owned(),
            serde_json::to_string(&guardduty).unwrap(),
        ];
        let (pads, summary) = process_batch("lines.jsonl", &lines.join("\n")).await;
        assert_eq!(pads.len(), 2, "the good lines are still decided");
        assert_eq!((summary.findings(), summary.invalid), (2, 2));
        assert_eq!(summary.exit_code(), 2);
        assert!(summary.to_string().ends_with("; 2 invalid"), "{summary}");
    }

    /// Standard output that tells the test of each line `process` prints.
    struct Signalling {
        lines: usize,
        printed: std::sync::mpsc::Sender<usize>,
    }

    impl Write for Signalling {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            for _ in bytes.iter().filter(|b| **b == b'\n') {
                self.lines += 1;
                // The test may have stopped listening; that is its business.
                let _ = self.printed.send(self.lines);
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn process_decides_the_lines_of_a_pipe_as_they_come() {
        let batch = concat!(env!("CARGO_MANIFEST_DIR"), "/../sample-batch.jsonl");
        let lines: Vec<String> = std::fs::read_to_string(batch)
            .unwrap()
            .lines()
            .take(6)
            .map(str::to_owned)
            .collect();
        let (reader, mut writer) = std::io::pipe().unwrap();
        let (printed, seen) = std::sync::mpsc::channel();
        // Line k + 1 is written only once the Scratchpad of line k - 1 is
        // out: `process` reads two lines ahead (to tell JSON lines from a
        // pretty document, and one document from many), and no further. A
        // `process` that read its input to the end first would print
        // nothing, and the writer gives up (the timeout only ends what
        // would otherwise hang).
        let feeder = std::thread::spawn(move || {
            for (index, line) in lines.iter().enumerate() {
                if index >= 2 {
                    let pad = seen.recv_timeout(std::time::Duration::from_secs(30));
                    assert_eq!(pad, Ok(index - 1), "before line {}", index + 1);
                }
                writeln!(writer, "{line}").unwrap();
            }
        });
        let mut out = Signalling { lines: 0, printed };
        let input = Input {
            name: "standard input".to_owned(),
            reader: Box::new(reader),
            length: None,
        };
        let summary = process_input(
            &args("process --finding - --config @/examples/config.json --dry-run"),
            input,
            &mut out,
        )
        .await
        .unwrap();
        feeder.join().unwrap();
        assert_eq!((summary.findings(), out.lines), (6, 6));
    }

    #[tokio::test]
    async fn warning_finding_is_suppressed() {
        let out = run_captured(args(
            "process --finding @/examples/findings/cis-1-6-warning-finding.json --dry-run",
        ))
        .await
        .map(json)
        .unwrap();
        assert_eq!(out["decision"], "suppress_finding");
        assert_eq!(out["actions"]["suppress_finding"], true);
    }

    #[tokio::test]
    async fn score_gives_penalty_and_triage() {
        let out = run_captured(args("score --finding @/examples/findings/guardduty-iam-access-key-custom-action.json --config @/examples/config.json"))
            .await
            .map(json)
            .unwrap();
        assert_eq!(out["event"]["source"], "guardduty");
        assert_eq!(out["findings"][0]["environment_kind"], "development");
        assert!(out["triage"]["priority"].as_f64().unwrap() > 0.0);
    }

    #[tokio::test]
    async fn invalid_input_is_an_input_failure_naming_the_path() {
        let dir = std::env::temp_dir().join(format!("soar-cli-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("bad.json");
        std::fs::write(&bad, r#"{"SchemaVersion": "2018-10-08", "Id": 5}"#).unwrap();
        let failure = run_captured(args(&format!(
            "process --finding {} --dry-run",
            bad.display()
        )))
        .await
        .unwrap_err();
        let Failure::Input(message) = failure else {
            panic!("{failure:?}")
        };
        assert!(message.contains("Id: invalid type"), "{message}");
        // Arguments that do not parse fail in clap (cli.rs tests); a command
        // the table does not know fails here.
        let failure = run_captured(Args {
            command: "frobnicate".to_owned(),
            ..Args::default()
        })
        .await
        .unwrap_err();
        assert!(matches!(failure, Failure::Input(m) if m.contains("unknown command")));
    }

    #[tokio::test]
    async fn controls_and_iam_policy_come_from_the_registry() {
        let listed = json(run_captured(args("controls --json")).await.unwrap());
        assert_eq!(
            listed.as_array().unwrap().len(),
            Registry::default().iter().count()
        );
        let Output::Text(markdown) = run_captured(args("controls --markdown")).await.unwrap()
        else {
            panic!("not text")
        };
        assert_eq!(markdown, Registry::default().catalogue_markdown());
        let policy = json(
            run_captured(args("iam-policy --controls S3.5 KMS.4"))
                .await
                .unwrap(),
        );
        let scoped: Vec<(&str, usize)> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["Resource"].as_str().unwrap(),
                    s["Action"].as_array().unwrap().len(),
                )
            })
            .collect();
        assert_eq!(
            scoped,
            [
                ("arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*", 3),
                ("arn:${AWS::Partition}:s3:::*", 2)
            ]
        );
        let unknown = run_captured(args("iam-policy --controls NOPE.1"))
            .await
            .unwrap_err();
        assert!(matches!(unknown, Failure::Input(m) if m.contains("NOPE.1")));
    }

    #[tokio::test]
    async fn template_writes_the_committed_templates() {
        let dir = std::env::temp_dir().join(format!("soar-cli-template-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let Output::Text(written) =
            run_captured(args(&format!("template --out {}", dir.display())))
                .await
                .unwrap()
        else {
            panic!("not text")
        };
        for file in ["template.yaml", "stackset-role.yaml"] {
            assert!(written.contains(file), "{written}");
            let generated = std::fs::read_to_string(dir.join(file)).unwrap();
            let committed =
                std::fs::read_to_string(format!("{}/../{file}", env!("CARGO_MANIFEST_DIR")))
                    .unwrap();
            assert_eq!(
                generated, committed,
                "{file}: run `cargo run --bin soar -- template --out examples`"
            );
        }
        assert!(matches!(
            cli::parse(["soar", "template"]),
            Err(Failure::Usage(m)) if m.contains("--out")
        ));
    }

    #[tokio::test]
    async fn process_cannot_be_both_dry_and_on_aws() {
        // clap refuses the pair; the command refuses it too if asked directly.
        let line = "soar process --finding f.json --aws --dry-run";
        assert!(matches!(
            cli::parse(line.split_whitespace()),
            Err(Failure::Usage(m)) if m.contains("cannot be used with")
        ));
        let failure = run_captured(Args {
            aws: true,
            dry_run: true,
            ..args("process --finding @/examples/findings/s3-8-block-public-access-failed.json")
        })
        .await
        .unwrap_err();
        assert!(matches!(failure, Failure::Input(m) if m.contains("choose one")));
    }

    #[tokio::test]
    async fn asl_writes_the_committed_state_machines() {
        let dir = std::env::temp_dir().join(format!("soar-cli-asl-{}", std::process::id()));
        let out = run_captured(args(&format!("asl --out {}", dir.display())))
            .await
            .unwrap();
        let Output::Text(listing) = out else {
            panic!("not text")
        };
        let committed = concat!(env!("CARGO_MANIFEST_DIR"), "/../statemachines");
        let mut written = 0;
        for name in [
            "asff-processor",
            "autoremediation",
            "incident",
            "backlog-sweep",
        ] {
            let file = format!("{name}.asl.json");
            assert!(listing.contains(&file), "{listing}");
            let generated = std::fs::read_to_string(dir.join(&file)).unwrap();
            assert!(generated.ends_with("}\n"));
            let definition: Value = serde_json::from_str(&generated).unwrap();
            assert!(definition["States"].is_object(), "{file}");
            assert_eq!(
                generated,
                std::fs::read_to_string(format!("{committed}/{file}")).unwrap(),
                "{file}: run `cargo run --bin soar -- asl --out examples/statemachines`"
            );
            written += 1;
        }
        assert_eq!(written, 4);
        let printed = json(run_captured(args("asl")).await.unwrap());
        assert_eq!(printed.as_object().unwrap().len(), 4);
        assert_eq!(
            printed["asff-processor.asl.json"]["StartAt"],
            "ProcessFindings"
        );
    }

    #[tokio::test]
    async fn cost_prices_every_path_within_the_target() {
        let out = json(run_captured(args("cost --json")).await.unwrap());
        let paths = out["paths"].as_object().unwrap();
        let mut names: Vec<&str> = paths.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "incident",
                "nothing_to_do",
                "remediate",
                "suppress",
                "ticket"
            ]
        );
        // soar's own orchestration stays within $10 per million; the
        // model's 3 s reply adds its Lambda and Express time on top.
        let without = json(
            run_captured(args("cost --json --without-ai"))
                .await
                .unwrap(),
        );
        for path in ["ticket", "remediate"] {
            let usd = without["paths"][path]["usd_per_million_findings"]
                .as_f64()
                .unwrap();
            assert!(usd > 1.0 && usd <= 10.0, "{path}: ${usd}");
            let with_ai = paths[path]["usd_per_million_findings"].as_f64().unwrap();
            assert!(
                with_ai > usd + 5.0,
                "{path}: ${with_ai} with AI, ${usd} without"
            );
        }
        assert_eq!(out["prices"]["region"], "us-east-1");
        let Output::Text(table) = run_captured(args("cost")).await.unwrap() else {
            panic!("not text")
        };
        assert!(
            table.contains("us-east-1") && table.contains("remediate"),
            "{table}"
        );
    }

    #[tokio::test]
    async fn remediate_without_a_remediation_is_a_ticket() {
        let out = json(run_captured(args("remediate --finding @/testdata/asff/securityhub-fsbp-lambda-1-failed.json --dry-run")).await.unwrap());
        assert_eq!(out["outcome"], "ticket");
        assert!(out["reason"].as_str().unwrap().contains("Lambda.1"));
    }

    #[tokio::test]
    async fn incident_classifies_maps_and_contains_nothing_it_should_only_notify() {
        // Native GuardDuty, MEDIUM: notify by default, so no AWS call.
        let out = json(run_captured(args("incident --finding @/testdata/eventbridge/guardduty-finding-backdoor-ec2-cc-activity-dns.json")).await.unwrap());
        assert_eq!(out["classification"]["kind"], "EC2", "{out}");
        assert_eq!(out["classification"]["response"], "notify");
        assert_eq!(out["attack"]["tactic_id"], "TA0011");
        assert_eq!(out["playbook"]["outcome"], "not_required");
        assert!(out["playbook"]["reason"]
            .as_str()
            .unwrap()
            .contains("notify"));
    }

    #[tokio::test]
    async fn incident_rejects_bad_settings_naming_the_member() {
        let dir =
            std::env::temp_dir().join(format!("soar-incident-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("incident.json");
        std::fs::write(&path, r#"{"containment": {"terminate_instance": true}}"#).unwrap();
        let line = format!(
            "incident --finding @/testdata/eventbridge/guardduty-finding-backdoor-ec2-cc-activity-dns.json --settings {}",
            path.display()
        );
        let Err(Failure::Input(message)) = run_captured(args(&line)).await else {
            panic!("bad settings were taken")
        };
        assert!(
            message.contains("containment") && message.contains("terminate_instance"),
            "{message}"
        );
    }

    #[test]
    fn remediate_takes_a_role_and_an_external_id() {
        let parsed = args(
            "remediate --finding f.json --role-name SoarRemediation --external-id ext-1 --dry-run",
        );
        assert_eq!(parsed.role_name.as_deref(), Some("SoarRemediation"));
        assert_eq!(parsed.external_id.as_deref(), Some("ext-1"));
        assert!(parsed.dry_run);
    }

    #[tokio::test]
    async fn remediate_rejects_bad_settings_naming_the_member() {
        let dir = std::env::temp_dir().join(format!("soar-cli-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = dir.join("settings.json");
        std::fs::write(&settings, r#"{"destructive_controls": ["*"]}"#).unwrap();
        let failure = run_captured(args(&format!(
            "remediate --finding @/examples/findings/s3-8-block-public-access-failed.json --settings {}",
            settings.display()
        )))
        .await
        .unwrap_err();
        assert!(
            matches!(&failure, Failure::Input(m) if m.contains("destructive_controls") && m.contains("one control ID at a time")),
            "{failure:?}"
        );
    }
}
