//! The Step Functions definitions, generated from the registry.
//!
//! They are generated, not written, for two reasons. The remediation
//! `Dispatch` names every control the registry compiles in, so a hand-kept
//! copy is wrong the day a control is added. And the processor, the
//! autoremediation machine and the backlog sweep share their states: each
//! group of states is built by one function ([`state_machines`] assembles
//! them), so the machines cannot drift apart. `soar asl --out
//! examples/statemachines` writes them; a test fails when the committed
//! files differ from what this module generates.
//!
//! | Machine | Type | Input | Does |
//! | --- | --- | --- | --- |
//! | `asff-processor` | Express | an EventBridge `Security Hub Findings - Imported` or `Custom Action` event | maps over `detail.findings`: decide, route, remediate or update |
//! | `autoremediation` | Express | a decided Scratchpad | the remediation `Dispatch`, then the update |
//! | `incident` | Express | a Scratchpad whose decision is `incident` | contains it through `soar-remediate`, then tickets it through `soar-update` |
//! | `backlog-sweep` | Standard | `{"concurrency"?, "next_token"?}` | pages through the open findings and processes each like the processor |
//!
//! # Routing
//!
//! The `Route` state follows what [`soar_core::decide()`] and the pipeline
//! decided, first match wins:
//!
//! | Scratchpad | Next |
//! | --- | --- |
//! | `actions.terminate_for_reprocessing` | `Done` (Security Hub sends the corrected finding again) |
//! | `decision` `suppress_finding`, or `actions.suppress_finding` | `Update` (SUPPRESSED) |
//! | `decision` `failed_control`, `control_action` `remediate` | `Dispatch` |
//! | `decision` `failed_control`, `control_action` `ticket` | `Analyse`, then `Update` (ticket) |
//! | `decision` `close_ticket` | `Analyse`, then `Update` (closes the ticket) |
//! | `decision` `incident` | the incident states (`Contain`, `AnalyseIncident`, then `TicketIncident`) |
//! | anything else (`do_nothing`, `reconsider_later`) | `Done` |
//!
//! `Dispatch` sends every control ID of the registry to `Remediate`; an
//! unknown ID, and any error `Remediate` still raises after its retries,
//! goes through `AutoremediationNotDone` (which sets
//! `actions.autoremediation_not_done`) to `Update`, which opens a ticket.
//! A remediation, done or not, goes through `Analyse` first.
//!
//! `Analyse` (`soar-analyse`) writes the AI analysis into the Scratchpad's
//! `messages.ai` before `soar-update` writes the ticket and the mail. It
//! never holds a finding up: it has a `TimeoutSeconds`, and any error that
//! outlasts its retries goes on to the update with the Scratchpad as it
//! was (`ResultPath: null`). A suppressed finding skips it.
//! Control IDs are matched exactly, as Security Hub writes them.
//!
//! # Limits these definitions respect
//!
//! * **256 KiB per state payload.** Neither `Map` keeps its results
//!   (`ResultPath: null`): a Scratchpad carries the whole finding, and a
//!   hundred of them would not fit. The sweep keeps one page of findings in
//!   its state at a time, so the page size (`SOAR_SWEEP_PAGE_SIZE`, at most
//!   100) must keep a page under 256 KiB: see `examples/statemachines/README.md`.
//! * **25,000 events per Standard execution.** Each page adds about 16
//!   history events, so the sweep continues as a new execution of itself
//!   after [`SWEEP_PAGES_PER_EXECUTION`] pages. One started sweep thus
//!   covers any backlog.
//! * **Security Hub's `BatchUpdateFindings` quota** (10 requests per second,
//!   burst 30, shared with the live processor) is what bounds the sweep's
//!   concurrency, not Step Functions.

pub mod eval;

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use soar_core::{ControlAction, Decision};
use soar_remediate::Registry;

/// Whether a state machine runs as an Express or a Standard workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkflowType {
    /// At most five minutes, charged per request and duration: the
    /// per-finding machines.
    Express,
    /// Up to a year, charged per state transition: the backlog sweep, whose
    /// Distributed Map needs a Standard parent.
    Standard,
}

impl WorkflowType {
    /// The name CloudFormation's `Type` of an `AWS::Serverless::StateMachine` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowType::Express => "EXPRESS",
            WorkflowType::Standard => "STANDARD",
        }
    }
}

impl std::fmt::Display for WorkflowType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One generated state machine.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    /// Its name, stable: the SAM template and the file name derive from it.
    pub name: &'static str,
    /// Express or Standard.
    pub kind: WorkflowType,
    /// The Amazon States Language definition, with the Lambda ARNs as SAM
    /// `DefinitionSubstitutions` (`${DecideFunctionArn}`, ...).
    pub definition: Value,
}

impl StateMachine {
    /// The file the definition is committed as: `<name>.asl.json`.
    pub fn file_name(&self) -> String {
        format!("{}.asl.json", self.name)
    }

    /// The definition as the committed file holds it: pretty-printed JSON
    /// with a trailing newline, members sorted by name at every level.
    ///
    /// Sorted, because the order of a `serde_json` object depends on
    /// whether some crate in the build turns on its `preserve_order`
    /// feature: the `soar` binary and this crate's tests unify different
    /// features, and must still write the same bytes.
    pub fn to_json(&self) -> String {
        format!("{:#}\n", sorted(&self.definition))
    }
}

/// `value` with the members of every object inserted in name order, so
/// that it prints the same with or without `preserve_order`.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut members: Vec<(&String, &Value)> = object.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                members
                    .into_iter()
                    .map(|(name, member)| (name.clone(), sorted(member)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The names of the state machines.
pub mod names {
    /// The per-event processor.
    pub const PROCESSOR: &str = "asff-processor";
    /// The remediation of one decided Scratchpad.
    pub const AUTOREMEDIATION: &str = "autoremediation";
    /// The handling of one incident.
    pub const INCIDENT: &str = "incident";
    /// The sweep of the open findings.
    pub const BACKLOG_SWEEP: &str = "backlog-sweep";
}

/// The names of the states, unique across every machine they appear in
/// (Step Functions requires that of nested states too).
pub mod states {
    /// The processor's `Map` over the event's findings.
    pub const PROCESS_FINDINGS: &str = "ProcessFindings";
    /// `soar-decide`.
    pub const DECIDE: &str = "Decide";
    /// The `Choice` on the decision.
    pub const ROUTE: &str = "Route";
    /// The `Choice` on the control ID, generated from the registry.
    pub const DISPATCH: &str = "Dispatch";
    /// `soar-remediate`.
    pub const REMEDIATE: &str = "Remediate";
    /// The `Pass` that sets `actions.autoremediation_not_done`.
    pub const AUTOREMEDIATION_NOT_DONE: &str = "AutoremediationNotDone";
    /// `soar-analyse`: the AI analysis, before the ticket is written.
    pub const ANALYSE: &str = "Analyse";
    /// `soar-update`: ticket, record, Security Hub workflow.
    pub const UPDATE: &str = "Update";
    /// `soar-remediate` for an incident: its containment playbook.
    pub const CONTAIN: &str = "Contain";
    /// `soar-analyse` for an incident.
    pub const ANALYSE_INCIDENT: &str = "AnalyseIncident";
    /// `soar-update` for an incident.
    pub const TICKET_INCIDENT: &str = "TicketIncident";
    /// The end of a finding that needs nothing more.
    pub const DONE: &str = "Done";
    /// The sweep's defaults.
    pub const DEFAULTS: &str = "Defaults";
    /// The sweep's input merged over its defaults.
    pub const CONFIGURE: &str = "Configure";
    /// `soar-sweep`: one page of open findings.
    pub const FETCH: &str = "Fetch";
    /// The sweep's Distributed Map over one page.
    pub const SWEEP: &str = "Sweep";
    /// The `Choice` on the page's `next_token`.
    pub const MORE_PAGES: &str = "MorePages";
    /// The next page's input.
    pub const NEXT_PAGE: &str = "NextPage";
    /// The sweep's continuation as a new execution.
    pub const CONTINUE_AS_NEW: &str = "ContinueAsNew";
    /// The end of the sweep.
    pub const SWEEP_DONE: &str = "SweepDone";
}

/// The Lambda functions the machines invoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `soar-decide`.
    Decide,
    /// `soar-remediate`.
    Remediate,
    /// `soar-update`.
    Update,
    /// `soar-sweep`.
    Sweep,
    /// `soar-analyse`: the AI analysis of the message.
    Analyse,
}

impl Function {
    /// Every function.
    pub const ALL: [Function; 5] = [
        Function::Decide,
        Function::Remediate,
        Function::Update,
        Function::Sweep,
        Function::Analyse,
    ];

    /// The binary that implements it.
    pub fn binary(self) -> &'static str {
        match self {
            Function::Decide => "soar-decide",
            Function::Remediate => "soar-remediate",
            Function::Update => "soar-update",
            Function::Sweep => "soar-sweep",
            Function::Analyse => "soar-analyse",
        }
    }

    /// The name of its `DefinitionSubstitutions` entry.
    pub fn substitution(self) -> &'static str {
        match self {
            Function::Decide => "DecideFunctionArn",
            Function::Remediate => "RemediateFunctionArn",
            Function::Update => "UpdateFunctionArn",
            Function::Sweep => "SweepFunctionArn",
            Function::Analyse => "AnalyseFunctionArn",
        }
    }

    /// What the definitions hold in place of its ARN: `${DecideFunctionArn}`, ...
    pub fn arn_placeholder(self) -> String {
        format!("${{{}}}", self.substitution())
    }

    /// The function whose placeholder `text` is.
    pub fn from_placeholder(text: &str) -> Option<Function> {
        Function::ALL
            .into_iter()
            .find(|f| f.arn_placeholder() == text)
    }
}

/// The optimized Lambda integration every Lambda Task uses.
pub const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";

/// The Step Functions integration the sweep continues itself with.
pub const START_EXECUTION: &str = "arn:aws:states:::states:startExecution";

/// A `Retry` policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The errors retried.
    pub errors: &'static [&'static str],
    /// The first wait, in seconds.
    pub interval_seconds: u32,
    /// How many retries at most.
    pub max_attempts: u32,
    /// The factor each wait grows by.
    pub backoff_rate: f64,
    /// The cap on any one wait, in seconds.
    pub max_delay_seconds: u32,
    /// Whether each wait is drawn at random below its computed value, so
    /// that many executions throttled together do not retry together.
    pub full_jitter: bool,
}

/// The one `Retry` of every Task: the transient Lambda service errors and
/// soar's retryable errors (`HandlerError::name` in [`crate::handlers`]),
/// four retries waiting 1, 2, 4 and 8 seconds at most (jittered; at most 15
/// seconds in all, well inside an Express execution's five minutes).
/// `soar.InvalidInput` is not retried: the same input fails the same way.
pub const RETRY: RetryPolicy = RetryPolicy {
    errors: &[
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
        "soar.PortFailed",
        "soar.NotUpdated",
    ],
    interval_seconds: 1,
    max_attempts: 4,
    backoff_rate: 2.0,
    max_delay_seconds: 10,
    full_jitter: true,
};

impl RetryPolicy {
    /// The `Retry` member: an array with this one retrier.
    pub fn to_json(&self) -> Value {
        let mut retrier = json!({
            "ErrorEquals": self.errors,
            "IntervalSeconds": self.interval_seconds,
            "MaxAttempts": self.max_attempts,
            "BackoffRate": self.backoff_rate,
            "MaxDelaySeconds": self.max_delay_seconds,
        });
        if self.full_jitter {
            if let Some(object) = retrier.as_object_mut() {
                object.insert("JitterStrategy".to_owned(), json!("FULL"));
            }
        }
        json!([retrier])
    }
}

/// How many findings of one event the processor handles at once. Most
/// events carry one finding; this bounds the bursts of batched ones.
pub const PROCESSOR_CONCURRENCY: u32 = 10;

/// How many findings the sweep handles at once unless its input says
/// otherwise (`{"concurrency": N}`). Lower than the processor's: the sweep
/// runs through a backlog without pause and shares Security Hub's
/// `BatchUpdateFindings` quota (10 per second) with the live processor.
pub const SWEEP_CONCURRENCY: u32 = 5;

/// After how many pages the sweep continues as a new execution: at about
/// 16 history events a page, 1,000 pages stay well inside a Standard
/// execution's 25,000 events, retries included.
pub const SWEEP_PAGES_PER_EXECUTION: u32 = 1_000;

/// The share of a page's findings that may fail (after their retries)
/// without stopping the sweep: a stray bad finding does not stop a sweep of
/// 100,000, a broken deployment stops it at its first page.
pub const SWEEP_TOLERATED_FAILURE_PERCENTAGE: u32 = 10;

/// Every state machine, generated from `registry`.
pub fn state_machines(registry: &Registry) -> Vec<StateMachine> {
    vec![
        processor(registry),
        autoremediation(registry),
        incident(),
        backlog_sweep(registry),
    ]
}

/// Writes every state machine into `dir` as `<name>.asl.json` (creating
/// `dir` if needed) and returns the paths written.
///
/// # Errors
/// The I/O error of the first directory or file that cannot be written.
pub fn write_all(registry: &Registry, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    state_machines(registry)
        .iter()
        .map(|machine| {
            let path = dir.join(machine.file_name());
            std::fs::write(&path, machine.to_json())?;
            Ok(path)
        })
        .collect()
}

/// A group of states and the one it starts at: what the machines are
/// assembled from.
struct Fragment {
    start: &'static str,
    states: Map<String, Value>,
}

impl Fragment {
    fn new(start: &'static str) -> Self {
        Fragment {
            start,
            states: Map::new(),
        }
    }

    fn state(mut self, name: &str, definition: Value) -> Self {
        self.states.insert(name.to_owned(), definition);
        self
    }

    /// Adds `other`'s states; this fragment still starts where it did.
    fn merge(mut self, other: Fragment) -> Self {
        self.states.extend(other.states);
        self
    }

    /// The fragment as a top-level definition.
    fn definition(self, comment: &str) -> Value {
        json!({
            "Comment": comment,
            "StartAt": self.start,
            "States": self.states,
        })
    }

    /// The fragment as a `Map` state's `ItemProcessor`.
    fn item_processor(self, config: Value) -> Value {
        json!({
            "ProcessorConfig": config,
            "StartAt": self.start,
            "States": self.states,
        })
    }
}

/// Where a state goes after it.
enum Then<'a> {
    Next(&'a str),
    End,
}

fn then(state: &mut Value, then: Then<'_>) {
    let Some(object) = state.as_object_mut() else {
        return;
    };
    match then {
        Then::Next(next) => object.insert("Next".to_owned(), json!(next)),
        Then::End => object.insert("End".to_owned(), json!(true)),
    };
}

/// A Task that invokes `function` with the whole state as its payload and
/// passes on what the function returned.
fn lambda_task(function: Function, comment: &str, next: Then<'_>) -> Value {
    let mut state = json!({
        "Type": "Task",
        "Comment": comment,
        "Resource": LAMBDA_INVOKE,
        "Parameters": {
            "FunctionName": function.arn_placeholder(),
            "Payload.$": "$",
        },
        "OutputPath": "$.Payload",
        "Retry": RETRY.to_json(),
    });
    then(&mut state, next);
    state
}

/// `task` with a `Catch` that sends any error that outlasts its retries to
/// `next`, with the error in `$.error`, where soar-update reads it into the
/// ticket.
fn caught(mut task: Value, next: &str) -> Value {
    if let Some(object) = task.as_object_mut() {
        object.insert(
            "Catch".to_owned(),
            json!([{
                "ErrorEquals": ["States.ALL"],
                "ResultPath": "$.error",
                "Next": next,
            }]),
        );
    }
    task
}

fn equals(variable: &str, value: impl std::fmt::Display) -> Value {
    json!({"Variable": variable, "StringEquals": value.to_string()})
}

fn is_true(variable: &str) -> Value {
    json!({"Variable": variable, "BooleanEquals": true})
}

/// Decide, Route and everything after: what one finding goes through, in
/// the processor's `Map` and in the sweep's.
fn per_finding(registry: &Registry) -> Fragment {
    let incident = incident_states();
    let route = json!({
        "Type": "Choice",
        "Comment": "Routes as soar_core::decide() and the pipeline decided; first match wins.",
        "Choices": [
            {
                "Variable": "$.actions.terminate_for_reprocessing",
                "BooleanEquals": true,
                "Next": states::DONE,
            },
            {
                "Or": [
                    equals("$.decision", Decision::SuppressFinding),
                    is_true("$.actions.suppress_finding"),
                ],
                "Next": states::UPDATE,
            },
            {
                "And": [
                    equals("$.decision", Decision::FailedControl),
                    equals("$.control_action", ControlAction::Remediate),
                ],
                "Next": states::DISPATCH,
            },
            {
                "And": [
                    equals("$.decision", Decision::FailedControl),
                    equals("$.control_action", ControlAction::Ticket),
                ],
                "Next": states::ANALYSE,
            },
            {
                "Variable": "$.decision",
                "StringEquals": Decision::CloseTicket.to_string(),
                "Next": states::ANALYSE,
            },
            {
                "Variable": "$.decision",
                "StringEquals": Decision::Incident.to_string(),
                "Next": incident.start,
            },
        ],
        "Default": states::DONE,
    });
    Fragment::new(states::DECIDE)
        .state(
            states::DECIDE,
            lambda_task(
                Function::Decide,
                "soar-decide: account data, enablement, suppression rules, penalty, remediable check.",
                Then::Next(states::ROUTE),
            ),
        )
        .state(states::ROUTE, route)
        .merge(remediation(registry))
        .merge(incident)
        .state(
            states::DONE,
            json!({
                "Type": "Succeed",
                "Comment": "Nothing more to do for this finding.",
            }),
        )
}

/// Dispatch, Remediate, AutoremediationNotDone and Update: the one copy of
/// the remediation states, for the processor, the sweep and the
/// autoremediation machine.
fn remediation(registry: &Registry) -> Fragment {
    let ids = registry.control_ids();
    let not_done = json!({
        "Type": "Pass",
        "Comment": "No remediation ran (unknown control, or Remediate failed): ticket it.",
        "Result": true,
        "ResultPath": "$.actions.autoremediation_not_done",
        "Next": states::ANALYSE,
    });
    let analyse = analyse_task(
        "soar-analyse: the AI analysis of the ticket or AUTOFIXED message; never holds the finding up.",
        states::UPDATE,
    );
    let update = lambda_task(
        Function::Update,
        "soar-update: opens the ticket once, records, writes the Security Hub workflow.",
        Then::End,
    );
    let fragment = Fragment::new(states::DISPATCH);
    if ids.is_empty() {
        // A Choice needs a rule; with no control compiled in, every
        // remediation is a ticket.
        return fragment
            .state(
                states::DISPATCH,
                json!({
                    "Type": "Pass",
                    "Comment": "No remediation is compiled in.",
                    "Next": states::AUTOREMEDIATION_NOT_DONE,
                }),
            )
            .state(states::AUTOREMEDIATION_NOT_DONE, not_done)
            .state(states::ANALYSE, analyse)
            .state(states::UPDATE, update);
    }
    let rules: Vec<Value> = ids.iter().map(|id| equals("$.control_id", id)).collect();
    let dispatch = json!({
        "Type": "Choice",
        "Comment": format!(
            "The {} control IDs soar-remediate's registry compiles in; any other is ticketed.",
            ids.len()
        ),
        "Choices": [{"Or": rules, "Next": states::REMEDIATE}],
        "Default": states::AUTOREMEDIATION_NOT_DONE,
    });
    let remediate = caught(
        lambda_task(
            Function::Remediate,
            "soar-remediate: the control, in the finding's own account and Region.",
            Then::Next(states::ANALYSE),
        ),
        states::AUTOREMEDIATION_NOT_DONE,
    );
    fragment
        .state(states::DISPATCH, dispatch)
        .state(states::REMEDIATE, remediate)
        .state(states::AUTOREMEDIATION_NOT_DONE, not_done)
        .state(states::ANALYSE, analyse)
        .state(states::UPDATE, update)
}

/// How long a Task of `soar-analyse` may run: above the function's own
/// timeout (30 s), which is above the model's (at most 25 s), so that a
/// hung call cannot hold an execution for its five minutes.
pub const ANALYSE_TIMEOUT_SECONDS: u32 = 35;

/// `soar-analyse`, then `next`, whatever happens: an error that outlasts
/// the retries, or the timeout, goes on to `next` with the Scratchpad as
/// it was (`ResultPath: null`), so the message goes out without AI. The
/// handler itself never fails for the model: it writes the note.
fn analyse_task(comment: &str, next: &'static str) -> Value {
    let mut task = lambda_task(Function::Analyse, comment, Then::Next(next));
    if let Some(object) = task.as_object_mut() {
        object.insert("TimeoutSeconds".to_owned(), json!(ANALYSE_TIMEOUT_SECONDS));
        object.insert(
            "Catch".to_owned(),
            json!([{
                "ErrorEquals": ["States.ALL"],
                "ResultPath": null,
                "Next": next,
            }]),
        );
    }
    task
}

/// What an incident goes through: soar-remediate runs its containment
/// playbook (which records every step, and notes what is left when a step
/// fails), then soar-update tickets it with that trail. A containment that
/// raises after its retries is caught and ticketed with the error.
fn incident_states() -> Fragment {
    let contain = caught(
        lambda_task(
            Function::Remediate,
            "soar-remediate: the incident's containment playbook, in the finding's own account and Region.",
            Then::Next(states::ANALYSE_INCIDENT),
        ),
        states::ANALYSE_INCIDENT,
    );
    Fragment::new(states::CONTAIN)
        .state(states::CONTAIN, contain)
        .state(
            states::ANALYSE_INCIDENT,
            analyse_task(
                "soar-analyse: the AI analysis of the incident; never holds the incident up.",
                states::TICKET_INCIDENT,
            ),
        )
        .state(
            states::TICKET_INCIDENT,
            lambda_task(
                Function::Update,
                "soar-update: tickets the incident and writes the Security Hub workflow.",
                Then::End,
            ),
        )
}

fn processor(registry: &Registry) -> StateMachine {
    let map = json!({
        "Type": "Map",
        "Comment": "One iteration per finding; results are dropped (ResultPath null) to stay under 256 KiB.",
        "ItemsPath": "$.detail.findings",
        "MaxConcurrency": PROCESSOR_CONCURRENCY,
        "ItemProcessor": per_finding(registry).item_processor(json!({"Mode": "INLINE"})),
        "ResultPath": null,
        "End": true,
    });
    StateMachine {
        name: names::PROCESSOR,
        kind: WorkflowType::Express,
        definition: Fragment::new(states::PROCESS_FINDINGS)
            .state(states::PROCESS_FINDINGS, map)
            .definition(
                "soar: every finding of a Security Hub Findings - Imported or Custom Action event. Generated by `soar asl`; do not edit.",
            ),
    }
}

fn autoremediation(registry: &Registry) -> StateMachine {
    StateMachine {
        name: names::AUTOREMEDIATION,
        kind: WorkflowType::Express,
        definition: remediation(registry).definition(
            "soar: remediates one decided Scratchpad, or tickets it. Generated by `soar asl`; do not edit.",
        ),
    }
}

fn incident() -> StateMachine {
    StateMachine {
        name: names::INCIDENT,
        kind: WorkflowType::Express,
        definition: incident_states().definition(
            "soar: handles one Scratchpad whose decision is incident. Generated by `soar asl`; do not edit.",
        ),
    }
}

fn backlog_sweep(registry: &Registry) -> StateMachine {
    let next_token_present = || {
        vec![
            json!({"Variable": "$.page.next_token", "IsPresent": true}),
            json!({"Not": {"Variable": "$.page.next_token", "IsNull": true}}),
        ]
    };
    let mut last_page_of_execution = next_token_present();
    last_page_of_execution.push(json!({
        "Variable": "$.pages",
        "NumericGreaterThanEquals": SWEEP_PAGES_PER_EXECUTION - 1,
    }));
    let mut fetch = json!({
        "Type": "Task",
        "Comment": "soar-sweep: one page of the active findings whose workflow is NEW or NOTIFIED and compliance FAILED.",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {
            "FunctionName": Function::Sweep.arn_placeholder(),
            "Payload": {"next_token.$": "$.next_token"},
        },
        "ResultSelector": {
            "findings.$": "$.Payload.findings",
            "next_token.$": "$.Payload.next_token",
        },
        "ResultPath": "$.page",
        "Retry": RETRY.to_json(),
    });
    then(&mut fetch, Then::Next(states::SWEEP));
    let mut continue_as_new = json!({
        "Type": "Task",
        "Comment": "Continues with the next page in a new execution, before this one's history fills.",
        "Resource": START_EXECUTION,
        "Parameters": {
            "StateMachineArn.$": "$$.StateMachine.Id",
            "Input": {
                "concurrency.$": "$.concurrency",
                "next_token.$": "$.page.next_token",
                "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id",
            },
        },
        "Retry": RETRY.to_json(),
    });
    then(&mut continue_as_new, Then::End);
    let definition = Fragment::new(states::DEFAULTS)
        .state(
            states::DEFAULTS,
            json!({
                "Type": "Pass",
                "Comment": "The defaults, next to the execution input.",
                "Parameters": {
                    "defaults": {
                        "concurrency": SWEEP_CONCURRENCY,
                        "next_token": null,
                        "pages": 0,
                    },
                    "input.$": "$",
                },
                "Next": states::CONFIGURE,
            }),
        )
        .state(
            states::CONFIGURE,
            json!({
                "Type": "Pass",
                "Comment": "The execution input over the defaults: {concurrency, next_token, pages}.",
                "Parameters": {"settings.$": "States.JsonMerge($.defaults, $.input, false)"},
                "OutputPath": "$.settings",
                "Next": states::FETCH,
            }),
        )
        .state(states::FETCH, fetch)
        .state(
            states::SWEEP,
            json!({
                "Type": "Map",
                "Comment": "Each finding of the page as its own Express child execution, like the processor's; results are dropped.",
                "ItemsPath": "$.page.findings",
                "ItemProcessor": per_finding(registry).item_processor(json!({
                    "Mode": "DISTRIBUTED",
                    "ExecutionType": "EXPRESS",
                })),
                "MaxConcurrencyPath": "$.concurrency",
                "ToleratedFailurePercentage": SWEEP_TOLERATED_FAILURE_PERCENTAGE,
                "ResultPath": null,
                "Next": states::MORE_PAGES,
            }),
        )
        .state(
            states::MORE_PAGES,
            json!({
                "Type": "Choice",
                "Comment": "Another page, in this execution or a new one, until next_token is null.",
                "Choices": [
                    {"And": last_page_of_execution, "Next": states::CONTINUE_AS_NEW},
                    {"And": next_token_present(), "Next": states::NEXT_PAGE},
                ],
                "Default": states::SWEEP_DONE,
            }),
        )
        .state(
            states::NEXT_PAGE,
            json!({
                "Type": "Pass",
                "Comment": "Drops the page: only the token and the settings go round the loop.",
                "Parameters": {
                    "concurrency.$": "$.concurrency",
                    "next_token.$": "$.page.next_token",
                    "pages.$": "States.MathAdd($.pages, 1)",
                },
                "Next": states::FETCH,
            }),
        )
        .state(states::CONTINUE_AS_NEW, continue_as_new)
        .state(
            states::SWEEP_DONE,
            json!({"Type": "Succeed", "Comment": "Every page is processed."}),
        )
        .definition(
            "soar: the backlog sweep, every open failed finding one page at a time. Generated by `soar asl`; do not edit.",
        );
    StateMachine {
        name: names::BACKLOG_SWEEP,
        kind: WorkflowType::Standard,
        definition,
    }
}

#[cfg(test)]
mod tests;
