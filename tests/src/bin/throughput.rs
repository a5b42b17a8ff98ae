//! soar's side of `scripts/throughput.py`: decides every event of a
//! JSON-lines file with soar's pipeline and prints the rate.
//!
//! Each line is one EventBridge event. The file is read into memory first;
//! every event is then decided once untimed (warm-up, and the decision
//! counts the script compares with the Python anchor's), then `--passes`
//! times timed. The timed work is what a Lambda does with an event: parse
//! it (`LazyEvent::parse`: each finding checked against the typed model and
//! kept as JSON), and `Pipeline::process` on each finding with in-memory
//! ports, which makes its Scratchpad.
//! It prints one JSON object: findings, seconds, decisions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use soar_asff::LazyEvent;
use soar_core::ports::memory::{MemoryRecords, RecordingUpdater, StaticAccounts};
use soar_core::scoring::NoModel;
use soar_core::{Config, Decision, Pipeline, Ports, RemediableControls, Scratchpad};

/// Decide every event of a JSON-lines file and print the rate.
#[derive(Parser)]
struct Args {
    /// Timed passes over the file.
    #[arg(long, default_value_t = 3)]
    passes: usize,
    /// Only parse each event, as this, and decide nothing: to compare the
    /// parsers (under `valgrind --tool=callgrind`, in instructions).
    #[arg(long, value_enum)]
    parse_only: Option<ParseOnly>,
    /// Remediable control IDs, comma-separated.
    #[arg(long, value_delimiter = ',')]
    remediable: Vec<String>,
    /// Destructive control IDs among them, comma-separated.
    #[arg(long, value_delimiter = ',')]
    destructive: Vec<String>,
    /// The events, one per line.
    events: PathBuf,
    /// soar-core's configuration (JSON).
    config: PathBuf,
}

/// What `--parse-only` parses each event into.
#[derive(Clone, Copy, clap::ValueEnum)]
enum ParseOnly {
    /// `serde_json::Value`, read as text once checked as UTF-8 as a whole,
    /// as `soar_asff` reads it.
    Value,
    /// `soar_asff::Event`, the findings built.
    Typed,
    /// `soar_asff::LazyEvent`, the findings checked and read in place.
    Lazy,
}

impl ParseOnly {
    fn parse(self, line: &[u8]) -> Result<(), String> {
        let parsed = match self {
            ParseOnly::Value => std::str::from_utf8(line)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    serde_json::from_str::<serde_json::Value>(text).map_err(|e| e.to_string())
                })
                .map(drop),
            ParseOnly::Typed => soar_asff::Event::parse(line)
                .map(drop)
                .map_err(|e| e.to_string()),
            ParseOnly::Lazy => LazyEvent::parse(line).map(drop).map_err(|e| e.to_string()),
        };
        std::hint::black_box(parsed)
    }
}

/// The remediable and destructive controls given on the command line.
struct Controls {
    remediable: BTreeSet<String>,
    destructive: BTreeSet<String>,
}

impl RemediableControls for Controls {
    fn is_remediable(&self, control_id: &str) -> bool {
        self.remediable.contains(control_id)
    }

    fn is_destructive(&self, control_id: &str) -> bool {
        self.destructive.contains(control_id)
    }
}

/// The key a decided Scratchpad is counted under: how a failed control is
/// handled, else the decision (as `soar process` sums up).
fn decision_key(pad: &Scratchpad) -> String {
    match (pad.decision, pad.control_action) {
        (Some(Decision::FailedControl), Some(action)) => action.to_string(),
        (Some(decision), _) => decision.to_string(),
        (None, _) => "undecided".to_owned(),
    }
}

/// Decides every line once; the decisions, counted when `count` is given.
async fn decide_all(
    pipeline: &Pipeline<'_>,
    lines: &[&[u8]],
    mut count: Option<&mut BTreeMap<String, usize>>,
) -> Result<usize, String> {
    let mut findings = 0;
    for (index, line) in lines.iter().enumerate() {
        let event = LazyEvent::parse(line).map_err(|e| format!("line {}: {e}", index + 1))?;
        let LazyEvent::Findings { findings: lazy, .. } = event else {
            return Err(format!(
                "line {}: a {} event carries no ASFF finding",
                index + 1,
                event.kind()
            ));
        };
        for finding in lazy {
            let pad = pipeline
                .process(finding)
                .await
                .map_err(|e| format!("line {}: {e}", index + 1))?;
            if let Some(count) = count.as_deref_mut() {
                *count.entry(decision_key(&pad)).or_default() += 1;
            }
            findings += 1;
        }
    }
    Ok(findings)
}

async fn run(args: Args) -> Result<serde_json::Value, String> {
    let bytes = std::fs::read(&args.events)
        .map_err(|e| format!("cannot read {}: {e}", args.events.display()))?;
    let config_text = std::fs::read_to_string(&args.config)
        .map_err(|e| format!("cannot read {}: {e}", args.config.display()))?;
    let config = Config::from_json(&config_text).map_err(|e| e.to_string())?;
    let lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
        .collect();
    let accounts = StaticAccounts::new(config.accounts.clone());
    let (updater, records) = (RecordingUpdater::default(), MemoryRecords::default());
    let controls = Controls {
        remediable: args.remediable.into_iter().collect(),
        destructive: args.destructive.into_iter().collect(),
    };
    let ports = Ports {
        accounts: &accounts,
        updater: &updater,
        records: &records,
        scorer: &NoModel,
        remediable: &controls,
    };
    let pipeline = Pipeline::new(&config, ports);
    if let Some(mode) = args.parse_only {
        let started = Instant::now();
        for _ in 0..args.passes {
            for line in &lines {
                mode.parse(line)?;
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let events = lines.len() * args.passes;
        return Ok(serde_json::json!({"events": events, "seconds": seconds}));
    }
    let mut decisions = BTreeMap::new();
    decide_all(&pipeline, &lines, Some(&mut decisions)).await?;
    let started = Instant::now();
    let mut findings = 0;
    for _ in 0..args.passes {
        findings += decide_all(&pipeline, &lines, None).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(serde_json::json!({"findings": findings, "seconds": seconds, "decisions": decisions}))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("throughput: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(result) => {
            println!("{result}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("throughput: {error}");
            ExitCode::FAILURE
        }
    }
}
