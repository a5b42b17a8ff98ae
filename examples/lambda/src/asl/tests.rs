use std::collections::BTreeSet;

use serde_json::{json, Value};
use soar_asff::{Event, Finding};
use soar_core::ports::memory::{MemoryRecords, RecordingUpdater, StaticAccounts};
use soar_core::ports::{PortError, RecordStore, TicketRecord};
use soar_core::scoring::NoModel;
use soar_core::{Config, Pipeline, Ports, Timestamp};
use soar_remediate::Registry;

use super::eval::{run, Invocation, Run, TaskError};
use super::*;
use crate::handlers::HandlerError;

const STATEMACHINES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../statemachines");
const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/asff");

fn machine(name: &str) -> StateMachine {
    state_machines(&Registry::default())
        .into_iter()
        .find(|m| m.name == name)
        .unwrap()
}

/// Every state of a definition, nested ones included, with its name.
fn all_states(definition: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (name, state) in definition["States"].as_object().unwrap() {
        out.push((name.clone(), state.clone()));
        if let Some(processor) = state.get("ItemProcessor").or_else(|| state.get("Iterator")) {
            out.extend(all_states(processor));
        }
    }
    out
}

fn tasks(definition: &Value) -> Vec<(String, Value)> {
    all_states(definition)
        .into_iter()
        .filter(|(_, s)| s["Type"] == "Task")
        .collect()
}

fn context() -> Value {
    json!({
        "Execution": {"Id": "arn:aws:states:us-east-1:111111111111:execution:backlog-sweep:run-1"},
        "StateMachine": {"Id": "arn:aws:states:us-east-1:111111111111:stateMachine:backlog-sweep"},
    })
}

/// Plays the Lambda functions: Decide answers `decided`, Remediate
/// remediates, Update passes its input on; every call is recorded.
struct Lambdas {
    decided: Value,
    remediate_error: Option<&'static str>,
    calls: Vec<(Function, Value)>,
}

impl Lambdas {
    fn new(decided: Value) -> Self {
        Lambdas {
            decided,
            remediate_error: None,
            calls: Vec::new(),
        }
    }

    fn call(&mut self, call: &Invocation<'_>) -> Result<Value, TaskError> {
        let function = Function::from_placeholder(call.function.unwrap()).unwrap();
        self.calls.push((function, call.payload.clone()));
        match function {
            Function::Decide => Ok(self.decided.clone()),
            Function::Remediate => match self.remediate_error {
                Some(error) => Err(TaskError {
                    error: error.to_owned(),
                    cause: "the function timed out".to_owned(),
                }),
                None => {
                    let mut out = call.payload.clone();
                    out["actions"]["remediated"] = json!(true);
                    Ok(out)
                }
            },
            Function::Update | Function::Analyse => Ok(call.payload.clone()),
            Function::Sweep => panic!("no sweep here"),
        }
    }

    fn update_input(&self) -> Option<&Value> {
        self.calls
            .iter()
            .find(|(f, _)| *f == Function::Update)
            .map(|(_, payload)| payload)
    }
}

fn run_machine(name: &str, input: Value, lambdas: &mut Lambdas) -> Run {
    let definition = machine(name).definition;
    run(&definition, input, &context(), &mut |call| {
        lambdas.call(call)
    })
    .unwrap()
}

/// Runs the processor on an event carrying the decided pad's finding.
fn process(decided: &Value) -> (Run, Lambdas) {
    let mut lambdas = Lambdas::new(decided.clone());
    let event = json!({
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "detail": {"findings": [decided["finding"].clone()]},
    });
    let run = run_machine(names::PROCESSOR, event, &mut lambdas);
    (run, lambdas)
}

fn pad(decision: &str, control_action: Value, control_id: Value) -> Value {
    let mut pad = serde_json::to_value(soar_core::Scratchpad::new(Finding::default())).unwrap();
    pad["decision"] = json!(decision);
    pad["control_action"] = control_action;
    pad["control_id"] = control_id;
    pad
}

#[test]
fn committed_files_are_the_generated_ones() {
    let machines = state_machines(&Registry::default());
    let names: Vec<String> = machines.iter().map(StateMachine::file_name).collect();
    assert_eq!(
        names,
        [
            "asff-processor.asl.json",
            "autoremediation.asl.json",
            "incident.asl.json",
            "backlog-sweep.asl.json"
        ]
    );
    for machine in &machines {
        let path = format!("{STATEMACHINES}/{}", machine.file_name());
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == machine.to_json(),
            "{path} differs from the generated definition; regenerate it with\n  \
             cargo run --bin soar -- asl --out examples/statemachines"
        );
    }
}

#[test]
fn kinds_and_substitutions_are_the_contract() {
    let kinds: Vec<(&str, WorkflowType)> = state_machines(&Registry::default())
        .iter()
        .map(|m| (m.name, m.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("asff-processor", WorkflowType::Express),
            ("autoremediation", WorkflowType::Express),
            ("incident", WorkflowType::Express),
            ("backlog-sweep", WorkflowType::Standard),
        ]
    );
    let placeholders: Vec<String> = Function::ALL.iter().map(|f| f.arn_placeholder()).collect();
    assert_eq!(
        placeholders,
        [
            "${DecideFunctionArn}",
            "${RemediateFunctionArn}",
            "${UpdateFunctionArn}",
            "${SweepFunctionArn}",
            "${AnalyseFunctionArn}"
        ]
    );
    for machine in state_machines(&Registry::default()) {
        for (name, task) in tasks(&machine.definition) {
            if task["Resource"] != LAMBDA_INVOKE {
                continue;
            }
            let function = task["Parameters"]["FunctionName"].as_str().unwrap();
            assert!(
                Function::from_placeholder(function).is_some(),
                "{name}: {function}"
            );
            if name != states::FETCH {
                assert_eq!(task["Parameters"]["Payload.$"], "$", "{name}");
                assert_eq!(task["OutputPath"], "$.Payload", "{name}");
            }
        }
    }
}

#[test]
fn every_registry_control_reaches_remediate_through_dispatch() {
    let registry = Registry::default();
    let ids = registry.control_ids();
    assert!(ids.len() > 10, "the default registry has its controls");
    let dispatch = &machine(names::AUTOREMEDIATION).definition["States"][states::DISPATCH];
    let listed: BTreeSet<&str> = dispatch["Choices"][0]["Or"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["StringEquals"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ids.iter().copied().collect::<BTreeSet<_>>());
    for id in &ids {
        let decided = pad("failed_control", json!("remediate"), json!(id));
        let mut lambdas = Lambdas::new(decided.clone());
        let run = run_machine(names::AUTOREMEDIATION, decided.clone(), &mut lambdas);
        assert_eq!(
            run.path(),
            ["Dispatch", "Remediate", "Analyse", "Update"],
            "{id}"
        );
        assert_eq!(run.output["actions"]["remediated"], true, "{id}");
        let (run, _) = process(&decided);
        assert_eq!(
            run.path_at(1),
            [
                "Decide",
                "Route",
                "Dispatch",
                "Remediate",
                "Analyse",
                "Update"
            ],
            "{id}"
        );
    }
}

#[test]
fn an_unknown_control_is_ticketed() {
    for id in [json!("Nope.1"), json!("s3.8"), json!(null)] {
        let decided = pad("failed_control", json!("remediate"), id.clone());
        let mut lambdas = Lambdas::new(decided.clone());
        let run = run_machine(names::AUTOREMEDIATION, decided, &mut lambdas);
        assert_eq!(
            run.path(),
            ["Dispatch", "AutoremediationNotDone", "Analyse", "Update"],
            "{id}"
        );
        let update = lambdas.update_input().unwrap();
        assert_eq!(update["actions"]["autoremediation_not_done"], true);
        assert!(lambdas.calls.iter().all(|(f, _)| *f != Function::Remediate));
    }
}

#[test]
fn a_failing_remediation_is_caught_and_ticketed() {
    let decided = pad("failed_control", json!("remediate"), json!("S3.8"));
    let mut lambdas = Lambdas::new(decided.clone());
    lambdas.remediate_error = Some("Sandbox.Timedout");
    let run = run_machine(names::AUTOREMEDIATION, decided, &mut lambdas);
    assert_eq!(
        run.path(),
        [
            "Dispatch",
            "Remediate",
            "AutoremediationNotDone",
            "Analyse",
            "Update"
        ]
    );
    let update = lambdas.update_input().unwrap();
    assert_eq!(update["actions"]["autoremediation_not_done"], true);
    assert_eq!(update["error"]["Error"], "Sandbox.Timedout");
    assert_eq!(update["actions"]["remediated"], false);
    // The Scratchpad survives the detour: soar-update still parses it.
    serde_json::from_value::<soar_core::Scratchpad>(update.clone()).unwrap();
}

#[test]
fn every_task_has_exactly_the_shared_retry() {
    let mut count = 0;
    for machine in state_machines(&Registry::default()) {
        for (name, task) in tasks(&machine.definition) {
            assert_eq!(task["Retry"], RETRY.to_json(), "{}: {name}", machine.name);
            count += 1;
        }
    }
    // processor 7 (with Analyse and AnalyseIncident), autoremediation 3,
    // incident 3, sweep 7 + Fetch + ContinueAsNew.
    assert_eq!(count, 22);
    let retrier = &RETRY.to_json()[0];
    for member in [
        "IntervalSeconds",
        "MaxAttempts",
        "BackoffRate",
        "MaxDelaySeconds",
    ] {
        assert!(retrier[member].is_number(), "{member}");
    }
    // The names soar's handlers fail with: retryable ones are retried, the
    // input error is not (the same input fails the same way).
    let port = HandlerError::Port(PortError {
        port: "RecordStore",
        operation: "PutItem",
        class: soar_core::error_class::ErrorClass::Throttled,
        message: "slow down".to_owned(),
    });
    let not_updated = HandlerError::NotUpdated {
        finding_id: "f".to_owned(),
        reason: "r".to_owned(),
    };
    let invalid = HandlerError::InvalidInput("x".to_owned());
    assert!(RETRY.errors.contains(&port.name()));
    assert!(RETRY.errors.contains(&not_updated.name()));
    assert!(!RETRY.errors.contains(&invalid.name()));
    for transient in [
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    ] {
        assert!(RETRY.errors.contains(&transient), "{transient}");
    }
}

#[test]
fn every_remediation_task_catches_everything_into_the_ticket_path() {
    let mut count = 0;
    for machine in state_machines(&Registry::default()) {
        for (name, task) in tasks(&machine.definition) {
            if task["Parameters"]["FunctionName"] != Function::Remediate.arn_placeholder() {
                continue;
            }
            // A remediation that raises is ticketed as not done; a
            // containment that raises is ticketed with its incident.
            let ticket_path = if name == states::CONTAIN {
                states::ANALYSE_INCIDENT
            } else {
                states::AUTOREMEDIATION_NOT_DONE
            };
            assert_eq!(
                task["Catch"],
                json!([{
                    "ErrorEquals": ["States.ALL"],
                    "ResultPath": "$.error",
                    "Next": ticket_path,
                }]),
                "{}: {name}",
                machine.name
            );
            count += 1;
        }
    }
    // Remediate and Contain in the processor and the sweep, Remediate in
    // autoremediation, Contain in incident.
    assert_eq!(count, 6);
}

#[test]
fn the_shared_states_are_the_same_in_every_machine() {
    let processor = machine(names::PROCESSOR).definition;
    let items = &processor["States"][states::PROCESS_FINDINGS]["ItemProcessor"];
    let sweep = machine(names::BACKLOG_SWEEP).definition;
    let swept = &sweep["States"][states::SWEEP]["ItemProcessor"];
    assert_eq!(items["States"], swept["States"]);
    assert_eq!(items["StartAt"], swept["StartAt"]);
    for name in [names::AUTOREMEDIATION, names::INCIDENT] {
        let definition = machine(name).definition;
        for (state, body) in definition["States"].as_object().unwrap() {
            assert_eq!(&items["States"][state], body, "{name}: {state}");
        }
    }
    assert_eq!(
        machine(names::AUTOREMEDIATION).definition["StartAt"],
        "Dispatch"
    );
    assert_eq!(machine(names::INCIDENT).definition["StartAt"], "Contain");
}

/// Step Functions' own checks, as far as these machines need them.
fn check_scope(scope: &Value, names: &mut BTreeSet<String>, machine: &str) {
    let states = scope["States"].as_object().unwrap();
    let start = scope["StartAt"].as_str().unwrap();
    assert!(states.contains_key(start), "{machine}: StartAt {start}");
    let mut reachable = BTreeSet::from([start.to_owned()]);
    let mut pending = vec![start.to_owned()];
    while let Some(name) = pending.pop() {
        let state = &states[&name];
        let mut targets: Vec<&str> = Vec::new();
        targets.extend(state["Next"].as_str());
        targets.extend(state["Default"].as_str());
        for rule in state["Choices"].as_array().into_iter().flatten() {
            targets.extend(rule["Next"].as_str());
        }
        for catcher in state["Catch"].as_array().into_iter().flatten() {
            targets.extend(catcher["Next"].as_str());
        }
        for target in targets {
            assert!(states.contains_key(target), "{machine}: {name} -> {target}");
            if reachable.insert(target.to_owned()) {
                pending.push(target.to_owned());
            }
        }
    }
    for (name, state) in states {
        assert!(names.insert(name.clone()), "{machine}: state {name} twice");
        assert!(reachable.contains(name), "{machine}: {name} is unreachable");
        let kind = state["Type"].as_str().unwrap();
        let ends = state.get("End") == Some(&json!(true));
        match kind {
            "Choice" => {
                assert!(state.get("Next").is_none() && !ends, "{machine}: {name}");
                assert!(
                    state["Default"].is_string(),
                    "{machine}: {name} needs a Default"
                );
            }
            "Succeed" | "Fail" => assert!(state.get("Next").is_none() && !ends),
            _ => assert!(
                ends != state["Next"].is_string(),
                "{machine}: {name}: Next xor End"
            ),
        }
        if let Some(processor) = state.get("ItemProcessor") {
            check_scope(processor, names, machine);
        }
    }
}

#[test]
fn state_names_are_unique_and_every_transition_lands() {
    for machine in state_machines(&Registry::default()) {
        check_scope(&machine.definition, &mut BTreeSet::new(), machine.name);
    }
    // Without any control compiled in, the Dispatch still makes a valid machine.
    for machine in state_machines(&Registry::empty()) {
        check_scope(&machine.definition, &mut BTreeSet::new(), machine.name);
        let decided = pad("failed_control", json!("remediate"), json!("S3.8"));
        if machine.name == names::AUTOREMEDIATION {
            let mut lambdas = Lambdas::new(decided.clone());
            let run = run(&machine.definition, decided, &context(), &mut |call| {
                lambdas.call(call)
            })
            .unwrap();
            assert_eq!(
                run.path(),
                ["Dispatch", "AutoremediationNotDone", "Analyse", "Update"]
            );
        }
    }
}

#[test]
fn maps_keep_no_results_in_the_state() {
    let processor = machine(names::PROCESSOR).definition;
    let map = &processor["States"][states::PROCESS_FINDINGS];
    assert_eq!(map["ResultPath"], Value::Null);
    assert_eq!(map["ItemsPath"], "$.detail.findings");
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"],
        json!({"Mode": "INLINE"})
    );
    let sweep = machine(names::BACKLOG_SWEEP).definition;
    let map = &sweep["States"][states::SWEEP];
    assert_eq!(map["ResultPath"], Value::Null);
    assert!(map.get("ResultWriter").is_none());
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"],
        json!({"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"})
    );
    // The loop drops each page before fetching the next.
    let next_page = &sweep["States"][states::NEXT_PAGE]["Parameters"];
    let kept: BTreeSet<&str> = next_page
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        kept,
        BTreeSet::from(["concurrency.$", "next_token.$", "pages.$"])
    );
}

// The real pipeline decides; the generated processor routes.

fn fixture(name: &str) -> Finding {
    let bytes = std::fs::read(format!("{TESTDATA}/{name}")).unwrap();
    Event::parse(&bytes).unwrap().findings()[0].clone()
}

fn fixed_now() -> Timestamp {
    Timestamp::parse("2026-01-03T00:00:00Z").unwrap()
}

async fn decided(finding: Finding, config: &str, open_ticket: bool) -> Value {
    let config = Config::from_json(config).unwrap();
    let accounts = StaticAccounts::new(config.accounts.clone());
    let updater = RecordingUpdater::default();
    let records = MemoryRecords::default();
    if open_ticket {
        records
            .put_ticket(&TicketRecord {
                ticket_id: "SOAR-1".to_owned(),
                finding_id: finding.id.clone(),
                account_id: finding.aws_account_id.clone(),
                control_id: None,
                team: None,
                title: finding.title.clone(),
                penalty_score: None,
                opened_at: 0,
                closed_at: None,
                expires_at: 0,
                ..TicketRecord::default()
            })
            .await
            .unwrap();
    }
    let registry = Registry::default();
    let ports = Ports {
        accounts: &accounts,
        updater: &updater,
        records: &records,
        scorer: &NoModel,
        remediable: &registry,
    };
    let pad = Pipeline::new(&config, ports)
        .with_clock(fixed_now)
        .process(finding)
        .await
        .unwrap();
    serde_json::to_value(pad).unwrap()
}

const ACCOUNT: &str = r#"{"id": "111111111111", "environment": "prod", "team": "payments", "joined_at": "2021-03-01T00:00:00Z"}"#;

fn config_with(members: &str) -> String {
    let separator = if members.is_empty() { "" } else { ", " };
    format!(r#"{{"accounts": [{ACCOUNT}]{separator}{members}}}"#)
}

/// A fixture, a configuration, what the pipeline decides for them
/// (`decision` or `decision/control_action`), and the states after Route.
struct Case<'a> {
    file: &'a str,
    config: &'a str,
    open_ticket: bool,
    decided: &'a str,
    then: &'a [&'a str],
}

fn case<'a>(file: &'a str, config: &'a str, decided: &'a str, then: &'a [&'a str]) -> Case<'a> {
    Case {
        file,
        config,
        open_ticket: false,
        decided,
        then,
    }
}

#[tokio::test]
async fn the_processor_routes_each_decision_of_the_real_pipeline() {
    let remediating = config_with(r#""auto_remediation": {"enabled": true, "controls": ["S3.8"]}"#);
    let young = r#"{"min_account_age_hours": 72, "accounts": [{"id": "111111111111", "joined_at": "2026-01-02T12:00:00Z"}], "auto_remediation": {"enabled": true, "controls": ["*"]}}"#.to_owned();
    let disabled = config_with(r#""disabled_controls": {"111111111111": ["S3.8"]}"#);
    let deferred = config_with(r#""defer_incidents": true"#);
    let plain = config_with("");
    let s3_8 = "securityhub-fsbp-s3-8-failed.json";
    let passed = "securityhub-pci-s3-1-passed.json";
    let guardduty = "guardduty-asff-doc.json";
    let remediated = ["Dispatch", "Remediate", "Analyse", "Update"];
    let cases = [
        case(s3_8, &remediating, "failed_control/remediate", &remediated),
        case(
            s3_8,
            &plain,
            "failed_control/ticket",
            &["Analyse", "Update"],
        ),
        case(s3_8, &disabled, "failed_control/suppress", &["Update"]),
        case(s3_8, &young, "failed_control/reconsider_later", &["Done"]),
        case(
            "securityhub-cis120-1-6-warning.json",
            &plain,
            "suppress_finding",
            &["Update"],
        ),
        case(passed, &plain, "do_nothing", &["Done"]),
        Case {
            open_ticket: true,
            ..case(passed, &plain, "close_ticket", &["Analyse", "Update"])
        },
        case(
            guardduty,
            &plain,
            "incident",
            &["Contain", "AnalyseIncident", "TicketIncident"],
        ),
        case(guardduty, &deferred, "do_nothing", &["Done"]),
        case(
            "health-ses-event-finding-doc.json",
            &plain,
            "do_nothing",
            &["Done"],
        ),
    ];
    for Case {
        file,
        config,
        open_ticket,
        decided: expected,
        then,
    } in cases
    {
        let pad = decided(fixture(file), config, open_ticket).await;
        let case = format!("{file} with {config}");
        let (decision, action) = match expected.split_once('/') {
            Some((decision, action)) => (decision, json!(action)),
            None => (expected, Value::Null),
        };
        assert_eq!(
            pad["decision"], decision,
            "{case}: {}",
            pad["decision_reason"]
        );
        assert_eq!(pad["control_action"], action, "{case}");
        let (run, lambdas) = process(&pad);
        let mut expected = vec!["Decide", "Route"];
        expected.extend_from_slice(then);
        assert_eq!(run.path_at(0), ["ProcessFindings"], "{case}");
        assert_eq!(run.path_at(1), expected, "{case}");
        // Decide got the bare finding the Map hands each iteration.
        assert_eq!(lambdas.calls[0].1, pad["finding"], "{case}");
        // soar-update agrees on whether a ticket is needed.
        let scratchpad: soar_core::Scratchpad = serde_json::from_value(pad.clone()).unwrap();
        if crate::handlers::needs_ticket(&scratchpad) {
            assert!(
                lambdas.update_input().is_some(),
                "{case}: a ticket without Update"
            );
        }
    }
}

#[test]
fn a_failing_or_hung_analysis_goes_on_to_the_update_with_the_scratchpad_as_it_was() {
    for (machine_name, decided, update) in [
        (
            names::AUTOREMEDIATION,
            pad("failed_control", json!("remediate"), json!("S3.8")),
            states::UPDATE,
        ),
        (
            names::INCIDENT,
            pad("incident", Value::Null, Value::Null),
            states::TICKET_INCIDENT,
        ),
    ] {
        let definition = machine(machine_name).definition;
        let mut calls = Vec::new();
        let run = run(&definition, decided.clone(), &context(), &mut |call| {
            let function = Function::from_placeholder(call.function.unwrap()).unwrap();
            calls.push(function);
            match function {
                Function::Analyse => Err(TaskError {
                    error: "States.Timeout".to_owned(),
                    cause: "the model hung".to_owned(),
                }),
                _ => Ok(call.payload.clone()),
            }
        })
        .unwrap();
        let path = run.path();
        assert_eq!(path[path.len() - 1], update, "{machine_name}");
        assert_eq!(calls.last(), Some(&Function::Update), "{machine_name}");
        // Not an error for soar-update to ticket: the Scratchpad is the
        // one Analyse was given.
        assert_eq!(run.output, decided, "{machine_name}");
        assert!(run.output.get("error").is_none());
    }
    for machine in state_machines(&Registry::default()) {
        for (name, task) in tasks(&machine.definition) {
            if task["Parameters"]["FunctionName"] != Function::Analyse.arn_placeholder() {
                continue;
            }
            assert_eq!(task["TimeoutSeconds"], ANALYSE_TIMEOUT_SECONDS, "{name}");
            assert_eq!(task["Catch"][0]["ResultPath"], Value::Null, "{name}");
        }
    }
}

#[test]
fn a_suppressed_finding_is_updated_without_an_analysis() {
    let decided = pad("suppress_finding", Value::Null, Value::Null);
    let (run, lambdas) = process(&decided);
    assert_eq!(run.path_at(1), ["Decide", "Route", "Update"]);
    assert!(lambdas.calls.iter().all(|(f, _)| *f != Function::Analyse));
}

#[test]
fn reprocessing_ends_the_run_even_when_the_finding_is_suppressed() {
    // What the account reassignment leaves: suppressed here, re-imported there.
    let mut decided = pad("suppress_finding", Value::Null, Value::Null);
    decided["actions"]["suppress_finding"] = json!(true);
    decided["actions"]["terminate_for_reprocessing"] = json!(true);
    let (run, lambdas) = process(&decided);
    assert_eq!(run.path_at(1), ["Decide", "Route", "Done"]);
    assert_eq!(lambdas.calls.len(), 1);
    // A suppression decided later (by the remediation) is updated.
    let mut decided = pad("failed_control", json!("ticket"), json!("S3.8"));
    decided["actions"]["suppress_finding"] = json!(true);
    assert_eq!(
        process(&decided).0.path_at(1),
        ["Decide", "Route", "Update"]
    );
}

#[test]
fn the_processor_handles_every_finding_of_the_event() {
    let decided = pad("incident", Value::Null, Value::Null);
    let mut lambdas = Lambdas::new(decided.clone());
    let event = json!({"detail": {"findings": [decided["finding"], decided["finding"], decided["finding"]]}});
    let run = run_machine(names::PROCESSOR, event.clone(), &mut lambdas);
    // Decide, Route, Contain, AnalyseIncident, TicketIncident for each.
    assert_eq!(run.path_at(1).len(), 15);
    assert_eq!(lambdas.calls.len(), 12);
    assert_eq!(run.output, event, "the Map keeps no results");
}

// The backlog sweep.

struct Pages {
    pages: Vec<(Vec<Value>, Option<&'static str>)>,
    fetched: Vec<Value>,
    started: Vec<Value>,
    lambdas: Lambdas,
    failing: usize,
}

impl Pages {
    fn new(pages: Vec<(Vec<Value>, Option<&'static str>)>) -> Self {
        Pages {
            pages,
            fetched: Vec::new(),
            started: Vec::new(),
            lambdas: Lambdas::new(pad("do_nothing", Value::Null, Value::Null)),
            failing: 0,
        }
    }

    fn call(&mut self, call: &Invocation<'_>) -> Result<Value, TaskError> {
        if call.resource == START_EXECUTION {
            self.started.push(call.payload.clone());
            return Ok(json!({"ExecutionArn": "arn:next", "StartDate": 0}));
        }
        match call.function.and_then(Function::from_placeholder) {
            Some(Function::Sweep) => {
                self.fetched.push(call.payload.clone());
                let (findings, next_token) = self.pages.remove(0);
                Ok(json!({"findings": findings, "next_token": next_token}))
            }
            Some(Function::Decide) if self.failing > 0 => {
                self.failing -= 1;
                Err(TaskError {
                    error: "soar.InvalidInput".to_owned(),
                    cause: "bad finding".to_owned(),
                })
            }
            _ => self.lambdas.call(call),
        }
    }

    fn run(&mut self, input: Value) -> Result<Run, eval::EvalError> {
        let definition = machine(names::BACKLOG_SWEEP).definition;
        run(&definition, input, &context(), &mut |call| self.call(call))
    }
}

fn findings(n: usize) -> Vec<Value> {
    (0..n).map(|i| json!({"Id": format!("f-{i}")})).collect()
}

#[test]
fn the_sweep_pages_until_next_token_is_null() {
    let mut pages = Pages::new(vec![(findings(2), Some("t1")), (findings(1), None)]);
    let run = pages.run(json!({})).unwrap();
    assert_eq!(
        run.path_at(0),
        [
            "Defaults",
            "Configure",
            "Fetch",
            "Sweep",
            "MorePages",
            "NextPage",
            "Fetch",
            "Sweep",
            "MorePages",
            "SweepDone"
        ]
    );
    assert_eq!(
        pages.fetched,
        [json!({"next_token": null}), json!({"next_token": "t1"})]
    );
    let decided: Vec<&Value> = pages
        .lambdas
        .calls
        .iter()
        .filter(|(f, _)| *f == Function::Decide)
        .map(|(_, payload)| payload)
        .collect();
    assert_eq!(decided, [&findings(2)[0], &findings(2)[1], &findings(1)[0]]);
    assert_eq!(run.path_at(1), ["Decide", "Route", "Done"].repeat(3));
    assert!(pages.started.is_empty());
}

#[test]
fn the_sweep_takes_its_concurrency_and_token_from_the_input() {
    let mut pages = Pages::new(vec![(findings(1), None)]);
    pages
        .run(json!({"concurrency": 20, "next_token": "resume-here"}))
        .unwrap();
    assert_eq!(pages.fetched, [json!({"next_token": "resume-here"})]);
    // MaxConcurrencyPath reads the input: a concurrency that is no number fails.
    let mut pages = Pages::new(vec![(findings(1), None)]);
    let failed = pages.run(json!({"concurrency": "ten"}));
    assert!(
        matches!(&failed, Err(eval::EvalError::Failed { state, .. }) if state == "Sweep"),
        "{failed:?}"
    );
}

#[test]
fn the_sweep_continues_as_new_before_its_history_fills() {
    let mut pages = Pages::new(vec![(findings(1), Some("t-1000")), (findings(1), None)]);
    let run = pages
        .run(json!({"pages": SWEEP_PAGES_PER_EXECUTION - 1}))
        .unwrap();
    assert_eq!(
        run.path_at(0),
        [
            "Defaults",
            "Configure",
            "Fetch",
            "Sweep",
            "MorePages",
            "ContinueAsNew"
        ]
    );
    assert_eq!(
        pages.started,
        [json!({
            "StateMachineArn": context()["StateMachine"]["Id"],
            "Input": {
                "concurrency": SWEEP_CONCURRENCY,
                "next_token": "t-1000",
                "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": context()["Execution"]["Id"],
            },
        })]
    );
    // The page count grows by one a page, from 0.
    let mut pages = Pages::new(vec![
        (findings(1), Some("a")),
        (findings(1), Some("b")),
        (findings(1), None),
    ]);
    let run = pages
        .run(json!({"pages": SWEEP_PAGES_PER_EXECUTION - 3}))
        .unwrap();
    assert_eq!(run.path_at(0).last(), Some(&"SweepDone"));
    let mut pages = Pages::new(vec![
        (findings(1), Some("a")),
        (findings(1), Some("b")),
        (findings(1), Some("c")),
    ]);
    let run = pages
        .run(json!({"pages": SWEEP_PAGES_PER_EXECUTION - 3}))
        .unwrap();
    assert_eq!(run.path_at(0).last(), Some(&"ContinueAsNew"));
    assert_eq!(pages.fetched.len(), 3);
}

#[test]
fn a_few_failing_findings_do_not_stop_the_sweep() {
    let mut pages = Pages::new(vec![(findings(20), None)]);
    pages.failing = 2;
    assert!(pages.run(json!({})).is_ok(), "2 of 20 is within 10 %");
    let mut pages = Pages::new(vec![(findings(20), None)]);
    pages.failing = 3;
    let failed = pages.run(json!({}));
    assert!(
        matches!(&failed, Err(eval::EvalError::Failed { error, .. }) if error == "States.ExceedToleratedFailureThreshold"),
        "{failed:?}"
    );
}
