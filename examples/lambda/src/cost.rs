//! What a finding costs on each path through the processor, derived from
//! the generated state machines.
//!
//! The reason this module exists: the Python deployment soar replaces runs
//! a Standard workflow that takes 22 state transitions to ticket one
//! finding, $550 per million findings in transitions alone. soar's target
//! is at most $10 per million on the ticket and remediate paths. The
//! numbers here come from running the generated definitions
//! ([`crate::asl::state_machines`]) through the interpreter
//! ([`crate::asl::eval`]) with a Scratchpad decided for each path, so they
//! follow the machines as they change; no count is kept by hand.
//!
//! The processor is an Express workflow, charged per request and per
//! duration, not per transition: a finding costs one Express request, the
//! execution's duration (the handlers' durations added up, billed in 100 ms
//! increments at 64 MB), and the Lambda requests and GB-seconds of the
//! handlers on its path. One execution per finding is assumed: an event
//! that carries several findings shares one request among them, so real
//! costs are at most these. Step Functions' own latency between states is
//! not counted; the 100 ms rounding covers it on these paths.
//!
//! Next to it: the same transitions as a Standard workflow (what the
//! anchor pays), and the same finding processed by the backlog sweep (a
//! Distributed Map child: the same Express cost, plus one Standard
//! transition to start the child and a share of the sweep's own
//! transitions and `soar-sweep` call per page).

use serde::Serialize;
use serde_json::{json, Map, Value};
use soar_asff::Finding;
use soar_core::{ControlAction, Decision, Scratchpad};
use soar_remediate::Registry;

use crate::asl::eval::{self, EvalError, Invocation, Run, TaskError};
use crate::asl::{names, state_machines, Function, START_EXECUTION};

/// The prices the costs are computed with: the public list prices in
/// us-east-1 (Step Functions and Lambda pricing pages; Lambda on arm64).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prices {
    /// The Region whose list prices these are.
    pub region: &'static str,
    /// Step Functions Express: USD per million requests (executions).
    pub express_usd_per_million_requests: f64,
    /// Step Functions Express: USD per GB-second of duration.
    pub express_usd_per_gb_second: f64,
    /// Step Functions Express: the memory billed per execution, in MB (the
    /// first 64 MB chunk; these executions carry a few KB).
    pub express_billed_memory_mb: u32,
    /// Step Functions Express: duration is billed in increments of this
    /// many milliseconds, rounded up.
    pub express_billing_increment_ms: u32,
    /// Step Functions Standard: USD per 1,000 state transitions.
    pub standard_usd_per_thousand_transitions: f64,
    /// Lambda (arm64): USD per million requests.
    pub lambda_usd_per_million_requests: f64,
    /// Lambda (arm64): USD per GB-second.
    pub lambda_usd_per_gb_second: f64,
}

impl Prices {
    /// The public us-east-1 list prices.
    pub const US_EAST_1: Prices = Prices {
        region: "us-east-1",
        express_usd_per_million_requests: 1.00,
        express_usd_per_gb_second: 0.000_016_67,
        express_billed_memory_mb: 64,
        express_billing_increment_ms: 100,
        standard_usd_per_thousand_transitions: 0.025,
        lambda_usd_per_million_requests: 0.20,
        lambda_usd_per_gb_second: 0.000_013_333_4,
    };

    fn standard_usd_per_transition(&self) -> f64 {
        self.standard_usd_per_thousand_transitions / 1_000.0
    }
}

impl Default for Prices {
    fn default() -> Self {
        Prices::US_EAST_1
    }
}

/// The handlers' memory and their warm durations, in milliseconds.
///
/// The durations are those recorded in `docs/performance.md`. Until the
/// measured figures are in, each is the handler's CPU time plus 20 ms per
/// AWS call it makes over the network, which the in-memory stubs cannot
/// measure: `soar-decide` 25 ms, `soar-remediate` 60 ms, `soar-update`
/// 40 ms, `soar-sweep` (one `GetFindings` page) 50 ms. `soar-analyse` is
/// the model's reply time, 3 s for a few hundred tokens from a small
/// Bedrock model; Bedrock's own charge per token is not in this model. They
/// are to be replaced by measured values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HandlerCosts {
    /// The memory size of every function, in MB.
    pub memory_mb: u32,
    /// `soar-decide`, warm.
    pub decide_ms: u32,
    /// `soar-remediate`, warm.
    pub remediate_ms: u32,
    /// `soar-update`, warm.
    pub update_ms: u32,
    /// `soar-sweep`, warm, for one page.
    pub sweep_ms: u32,
    /// `soar-analyse`, warm: mostly waiting for the model.
    pub analyse_ms: u32,
}

impl HandlerCosts {
    /// The warm figures (see the type's documentation).
    pub const WARM: HandlerCosts = HandlerCosts {
        memory_mb: 128,
        decide_ms: 25,
        remediate_ms: 60,
        update_ms: 40,
        sweep_ms: 50,
        analyse_ms: 3_000,
    };

    /// The warm duration of `function`, in milliseconds.
    pub fn duration_ms(&self, function: Function) -> u32 {
        match function {
            Function::Decide => self.decide_ms,
            Function::Remediate => self.remediate_ms,
            Function::Update => self.update_ms,
            Function::Sweep => self.sweep_ms,
            Function::Analyse => self.analyse_ms,
        }
    }
}

impl Default for HandlerCosts {
    fn default() -> Self {
        HandlerCosts::WARM
    }
}

/// Everything a cost depends on besides the machines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    /// The prices.
    pub prices: Prices,
    /// The handlers.
    pub handlers: HandlerCosts,
    /// Findings per sweep page: small enough that a page of findings stays
    /// under Step Functions' 256 KiB payload limit (see
    /// `examples/statemachines/README.md`).
    pub sweep_page_size: u32,
}

impl Default for Model {
    fn default() -> Self {
        Model {
            prices: Prices::US_EAST_1,
            handlers: HandlerCosts::WARM,
            sweep_page_size: 50,
        }
    }
}

/// A way through the processor, by what was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingPath {
    /// `do_nothing` (or `reconsider_later`): decided, nothing more.
    NothingToDo,
    /// Suppressed in Security Hub.
    Suppress,
    /// A failed control, ticketed.
    Ticket,
    /// A failed control, remediated.
    Remediate,
    /// An incident, contained and ticketed.
    Incident,
}

impl FindingPath {
    /// Every path, in the order the report lists them.
    pub const ALL: [FindingPath; 5] = [
        FindingPath::NothingToDo,
        FindingPath::Suppress,
        FindingPath::Ticket,
        FindingPath::Remediate,
        FindingPath::Incident,
    ];

    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            FindingPath::NothingToDo => "nothing_to_do",
            FindingPath::Suppress => "suppress",
            FindingPath::Ticket => "ticket",
            FindingPath::Remediate => "remediate",
            FindingPath::Incident => "incident",
        }
    }

    /// The Scratchpad `soar-decide` returns on this path. `remediate` uses
    /// the registry's first control (with none, it ends in a ticket).
    fn decided(self, registry: &Registry) -> Scratchpad {
        let mut pad = Scratchpad::new(Finding::default());
        let control = registry.control_ids().first().map(|id| (*id).to_owned());
        match self {
            FindingPath::NothingToDo => pad.decision = Some(Decision::DoNothing),
            FindingPath::Suppress => {
                pad.decision = Some(Decision::SuppressFinding);
                pad.actions.suppress_finding = true;
            }
            FindingPath::Ticket | FindingPath::Remediate => {
                pad.decision = Some(Decision::FailedControl);
                pad.control_id = control;
                pad.control_action = Some(if self == FindingPath::Ticket {
                    ControlAction::Ticket
                } else {
                    ControlAction::Remediate
                });
            }
            FindingPath::Incident => pad.decision = Some(Decision::Incident),
        }
        pad
    }
}

/// The cost of one path, per finding and per million findings.
#[derive(Debug, Clone, PartialEq)]
pub struct PathCost {
    /// The path.
    pub path: FindingPath,
    /// The processor's states entered, the `Map` included.
    pub states: Vec<String>,
    /// How many: the state transitions of one finding.
    pub transitions: u32,
    /// The Lambda functions invoked, in order.
    pub functions: Vec<Function>,
    /// Their warm durations added up, in milliseconds.
    pub lambda_ms: u32,
    /// The Express duration billed, in milliseconds.
    pub express_billed_ms: u32,
    /// Express requests and duration, USD per million findings.
    pub express_usd_per_million: f64,
    /// Lambda requests and GB-seconds, USD per million findings.
    pub lambda_usd_per_million: f64,
    /// The total, USD per million findings.
    pub usd_per_million_findings: f64,
    /// The same transitions in a Standard workflow, transitions only (as
    /// the anchor is quoted), USD per million findings.
    pub usd_per_million_as_standard: f64,
    /// The same finding through the backlog sweep, USD per million.
    pub usd_per_million_when_swept: f64,
}

/// Why the costs could not be derived.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CostError {
    /// A generated machine is missing.
    #[error("no state machine {0}")]
    MissingMachine(&'static str),
    /// Running a machine failed.
    #[error("running {machine}: {source}")]
    Eval {
        /// The machine.
        machine: &'static str,
        /// What failed.
        source: EvalError,
    },
    /// A Scratchpad did not serialize.
    #[error("the sample Scratchpad: {0}")]
    Json(#[from] serde_json::Error),
}

/// The costs of every path, and what they were computed with.
#[derive(Debug, Clone, PartialEq)]
pub struct CostReport {
    /// The model.
    pub model: Model,
    /// One entry per [`FindingPath::ALL`].
    pub paths: Vec<PathCost>,
    /// The sweep's own state transitions per page.
    pub sweep_transitions_per_page: u32,
}

/// The transitions the Python anchor takes to ticket one finding.
pub const PYTHON_ANCHOR_TICKET_TRANSITIONS: u32 = 22;

/// Runs every path through the machines generated from `registry` and
/// prices it with `model`.
///
/// # Errors
/// [`CostError`] when a machine is missing or does not run.
pub fn cost_report(registry: &Registry, model: &Model) -> Result<CostReport, CostError> {
    let machines = state_machines(registry);
    let definition = |name: &'static str| {
        machines
            .iter()
            .find(|m| m.name == name)
            .map(|m| &m.definition)
            .ok_or(CostError::MissingMachine(name))
    };
    let processor = definition(names::PROCESSOR)?;
    let sweep = definition(names::BACKLOG_SWEEP)?;
    let per_page = sweep_transitions_per_page(sweep, registry)?;
    let mut paths = Vec::with_capacity(FindingPath::ALL.len());
    for path in FindingPath::ALL {
        let decided = serde_json::to_value(path.decided(registry))?;
        let event = json!({"detail": {"findings": [decided["finding"].clone()]}});
        let mut functions = Vec::new();
        let run = run_with(
            processor,
            event,
            &decided,
            0,
            &mut functions,
            names::PROCESSOR,
        )?;
        paths.push(price(path, &run, functions, per_page, model));
    }
    Ok(CostReport {
        model: *model,
        paths,
        sweep_transitions_per_page: per_page,
    })
}

/// Runs `definition`, playing each function as the path needs: Decide
/// returns `decided`, Remediate remediates, Update passes its input on,
/// Sweep returns pages of one finding, `sweep_pages` of them.
fn run_with(
    definition: &Value,
    input: Value,
    decided: &Value,
    sweep_pages: u32,
    functions: &mut Vec<Function>,
    machine: &'static str,
) -> Result<Run, CostError> {
    let mut pages = 0_u32;
    let mut tasks = |call: &Invocation<'_>| -> Result<Value, TaskError> {
        if call.resource == START_EXECUTION {
            return Ok(json!({}));
        }
        let function = call
            .function
            .and_then(Function::from_placeholder)
            .ok_or_else(|| TaskError {
                error: "soar.UnknownFunction".to_owned(),
                cause: format!("{:?} is no soar function", call.function),
            })?;
        functions.push(function);
        Ok(match function {
            Function::Decide => decided.clone(),
            Function::Remediate => {
                let mut out = call.payload.clone();
                if let Some(flag) = out.pointer_mut("/actions/remediated") {
                    *flag = Value::Bool(true);
                }
                out
            }
            Function::Update | Function::Analyse => call.payload.clone(),
            Function::Sweep => {
                pages += 1;
                let next_token = if pages < sweep_pages {
                    json!(format!("page-{}", pages + 1))
                } else {
                    Value::Null
                };
                json!({"findings": [decided["finding"].clone()], "next_token": next_token})
            }
        })
    };
    let context = json!({
        "Execution": {"Id": "cost-model"},
        "StateMachine": {"Id": machine},
    });
    eval::run(definition, input, &context, &mut tasks)
        .map_err(|source| CostError::Eval { machine, source })
}

/// The sweep's own transitions per page: a run over two pages less a run
/// over one.
fn sweep_transitions_per_page(sweep: &Value, registry: &Registry) -> Result<u32, CostError> {
    let decided = serde_json::to_value(FindingPath::NothingToDo.decided(registry))?;
    let mut top_level = [0_usize; 2];
    for (count, pages) in top_level.iter_mut().zip([1, 2]) {
        let mut functions = Vec::new();
        let run = run_with(
            sweep,
            json!({}),
            &decided,
            pages,
            &mut functions,
            names::BACKLOG_SWEEP,
        )?;
        *count = run.path_at(0).len();
    }
    Ok(u32::try_from(top_level[1].saturating_sub(top_level[0])).unwrap_or(u32::MAX))
}

fn gigabytes(mb: u32) -> f64 {
    f64::from(mb) / 1024.0
}

fn price(
    path: FindingPath,
    run: &Run,
    functions: Vec<Function>,
    sweep_transitions_per_page: u32,
    model: &Model,
) -> PathCost {
    let Model {
        prices,
        handlers,
        sweep_page_size,
    } = model;
    let states: Vec<String> = run.path().into_iter().map(str::to_owned).collect();
    let transitions = u32::try_from(states.len()).unwrap_or(u32::MAX);
    let invocations = u32::try_from(functions.len()).unwrap_or(u32::MAX);
    let lambda_ms: u32 = functions.iter().map(|f| handlers.duration_ms(*f)).sum();
    let increment = prices.express_billing_increment_ms.max(1);
    let express_billed_ms = lambda_ms.div_ceil(increment).max(1) * increment;
    let million = 1_000_000.0;
    let express = prices.express_usd_per_million_requests
        + million * f64::from(express_billed_ms) / 1_000.0
            * gigabytes(prices.express_billed_memory_mb)
            * prices.express_usd_per_gb_second;
    let lambda_gb_seconds = |ms: u32| f64::from(ms) / 1_000.0 * gigabytes(handlers.memory_mb);
    let lambda = f64::from(invocations) * prices.lambda_usd_per_million_requests
        + million * lambda_gb_seconds(lambda_ms) * prices.lambda_usd_per_gb_second;
    let as_standard = million * f64::from(transitions) * prices.standard_usd_per_transition();
    let page = f64::from((*sweep_page_size).max(1));
    let sweep_share = million
        * (1.0 + f64::from(sweep_transitions_per_page) / page)
        * prices.standard_usd_per_transition()
        + (prices.lambda_usd_per_million_requests
            + million
                * lambda_gb_seconds(handlers.duration_ms(Function::Sweep))
                * prices.lambda_usd_per_gb_second)
            / page;
    PathCost {
        path,
        states,
        transitions,
        functions,
        lambda_ms,
        express_billed_ms,
        express_usd_per_million: express,
        lambda_usd_per_million: lambda,
        usd_per_million_findings: express + lambda,
        usd_per_million_as_standard: as_standard,
        usd_per_million_when_swept: express + lambda + sweep_share,
    }
}

/// Rounds to a hundredth of a cent, which is all the inputs justify.
fn usd(value: f64) -> Value {
    json!((value * 10_000.0).round() / 10_000.0)
}

impl CostReport {
    /// The report as `soar cost --json` prints it:
    /// `{"paths": {"<path>": {...}}, "prices": {...}}`. `prices` holds the
    /// prices and what they were applied to (memory, durations, page size).
    pub fn to_json(&self) -> Value {
        let mut paths = Map::new();
        for cost in &self.paths {
            let functions: Vec<&str> = cost.functions.iter().map(|f| f.binary()).collect();
            paths.insert(
                cost.path.name().to_owned(),
                json!({
                    "transitions": cost.transitions,
                    "lambda_invocations": functions.len(),
                    "usd_per_million_findings": usd(cost.usd_per_million_findings),
                    "usd_per_million_as_standard": usd(cost.usd_per_million_as_standard),
                    "usd_per_million_when_swept": usd(cost.usd_per_million_when_swept),
                    "express_usd_per_million": usd(cost.express_usd_per_million),
                    "lambda_usd_per_million": usd(cost.lambda_usd_per_million),
                    "lambda_ms": cost.lambda_ms,
                    "express_billed_ms": cost.express_billed_ms,
                    "states": cost.states,
                    "functions": functions,
                }),
            );
        }
        let mut prices = serde_json::to_value(self.model.prices).unwrap_or_else(|_| json!({}));
        if let Some(object) = prices.as_object_mut() {
            let handlers = &self.model.handlers;
            object.insert("lambda_memory_mb".to_owned(), json!(handlers.memory_mb));
            object.insert(
                "handler_ms".to_owned(),
                Function::ALL
                    .iter()
                    .map(|f| (f.binary().to_owned(), json!(handlers.duration_ms(*f))))
                    .collect::<Map<_, _>>()
                    .into(),
            );
            object.insert(
                "sweep_page_size".to_owned(),
                json!(self.model.sweep_page_size),
            );
            object.insert(
                "sweep_transitions_per_page".to_owned(),
                json!(self.sweep_transitions_per_page),
            );
        }
        json!({"paths": paths, "prices": prices})
    }

    /// The report as a table that names its prices.
    pub fn to_text(&self) -> String {
        let Model {
            prices,
            handlers,
            sweep_page_size,
        } = &self.model;
        let durations: Vec<String> = Function::ALL
            .iter()
            .map(|f| format!("{} {} ms", f.binary(), handlers.duration_ms(*f)))
            .collect();
        let mut out = format!(
            "soar: USD per million findings, at the public {region} list prices\n\
             \x20 Step Functions Express: ${:.2} per million requests, ${} per GB-second ({} MB, billed in {} ms increments)\n\
             \x20 Step Functions Standard: ${} per 1,000 state transitions\n\
             \x20 Lambda (arm64): ${:.2} per million requests, ${} per GB-second, at {} MB\n\
             \x20 warm handler durations: {}\n\n",
            prices.express_usd_per_million_requests,
            prices.express_usd_per_gb_second,
            prices.express_billed_memory_mb,
            prices.express_billing_increment_ms,
            prices.standard_usd_per_thousand_transitions,
            prices.lambda_usd_per_million_requests,
            prices.lambda_usd_per_gb_second,
            handlers.memory_mb,
            durations.join(", "),
            region = prices.region,
        );
        out.push_str(&format!(
            "{:<14} {:>11} {:>7} {:>9} {:>8} {:>8} {:>8} {:>11} {:>7}\n",
            "path",
            "transitions",
            "lambdas",
            "lambda ms",
            "Express",
            "Lambda",
            "total",
            "as Standard",
            "swept"
        ));
        for cost in &self.paths {
            out.push_str(&format!(
                "{:<14} {:>11} {:>7} {:>9} {:>8.2} {:>8.2} {:>8.2} {:>11.2} {:>7.2}\n",
                cost.path.name(),
                cost.transitions,
                cost.functions.len(),
                cost.lambda_ms,
                cost.express_usd_per_million,
                cost.lambda_usd_per_million,
                cost.usd_per_million_findings,
                cost.usd_per_million_as_standard,
                cost.usd_per_million_when_swept,
            ));
        }
        let anchor = f64::from(PYTHON_ANCHOR_TICKET_TRANSITIONS)
            * 1_000_000.0
            * prices.standard_usd_per_transition();
        out.push_str(&format!(
            "\n\
             Express: the processor runs as an Express workflow, one request and its billed\n\
             \x20 duration per finding (one execution per finding assumed: an event with several\n\
             \x20 findings shares one), so its transitions cost nothing.\n\
             as Standard: the same transitions in a Standard workflow, transitions only. The\n\
             \x20 Python anchor (Standard) takes {PYTHON_ANCHOR_TICKET_TRANSITIONS} transitions to ticket one finding: ${anchor:.2} per million.\n\
             swept: the same finding through the backlog sweep: the Express cost as a Distributed\n\
             \x20 Map child, one Standard transition to start it, and per page of {sweep_page_size} findings the\n\
             \x20 sweep's {} transitions and one soar-sweep call.\n",
            self.sweep_transitions_per_page,
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn report() -> CostReport {
        cost_report(&Registry::default(), &Model::default()).unwrap()
    }

    fn path(report: &CostReport, path: FindingPath) -> &PathCost {
        report.paths.iter().find(|c| c.path == path).unwrap()
    }

    /// With AI turned off (or the offline model), `soar-analyse` returns at
    /// once.
    fn without_ai() -> Model {
        Model {
            handlers: HandlerCosts {
                analyse_ms: 1,
                ..HandlerCosts::WARM
            },
            ..Model::default()
        }
    }

    #[test]
    fn ticket_and_remediate_cost_at_most_ten_dollars_per_million_without_ai() {
        let report = cost_report(&Registry::default(), &without_ai()).unwrap();
        for which in [FindingPath::Ticket, FindingPath::Remediate] {
            let cost = path(&report, which);
            assert!(
                cost.usd_per_million_findings <= 10.0,
                "{}: ${}",
                which.name(),
                cost.usd_per_million_findings
            );
        }
        for cost in &report.paths {
            assert!(
                cost.usd_per_million_findings > 1.0,
                "at least the Express request"
            );
            assert!(cost.usd_per_million_findings < cost.usd_per_million_as_standard);
        }
    }

    #[test]
    fn transitions_match_a_count_by_hand() {
        let report = report();
        // The remediate path, state by state: the processor's Map, then in
        // its iteration soar-decide, the Route choice, the registry
        // Dispatch, soar-remediate and soar-update.
        let by_hand = [
            "ProcessFindings",
            "Decide",
            "Route",
            "Dispatch",
            "Remediate",
            "Analyse",
            "Update",
        ];
        let remediate = path(&report, FindingPath::Remediate);
        assert_eq!(remediate.states, by_hand);
        assert_eq!(remediate.transitions, 7);
        assert_eq!(
            remediate.functions,
            [
                Function::Decide,
                Function::Remediate,
                Function::Analyse,
                Function::Update
            ]
        );
        let counts: Vec<(&str, u32, usize)> = report
            .paths
            .iter()
            .map(|c| (c.path.name(), c.transitions, c.functions.len()))
            .collect();
        assert_eq!(
            counts,
            [
                ("nothing_to_do", 4, 1),
                ("suppress", 4, 2),
                ("ticket", 5, 3),
                ("remediate", 7, 4),
                ("incident", 6, 4)
            ]
        );
        // Fetch, Sweep, MorePages, NextPage.
        assert_eq!(report.sweep_transitions_per_page, 4);
    }

    #[test]
    fn the_numbers_follow_the_prices() {
        let report = report();
        let remediate = path(&report, FindingPath::Remediate);
        // 25 + 60 + 3,000 + 40 = 3,125 ms of Lambda, billed as 3,200 ms
        // of Express: the model's reply is most of the finding's time.
        assert_eq!(
            (remediate.lambda_ms, remediate.express_billed_ms),
            (3_125, 3_200)
        );
        let express = 1.00 + 1e6 * 3.2 * (64.0 / 1024.0) * 0.000_016_67;
        let lambda = 4.0 * 0.20 + 1e6 * 3.125 * (128.0 / 1024.0) * 0.000_013_333_4;
        assert!((remediate.express_usd_per_million - express).abs() < 1e-9);
        assert!((remediate.lambda_usd_per_million - lambda).abs() < 1e-9);
        assert!((remediate.usd_per_million_findings - (express + lambda)).abs() < 1e-9);
        assert!((remediate.usd_per_million_as_standard - 175.0).abs() < 1e-9);
        // What the model's reply adds on AWS's side, Bedrock's tokens
        // aside: 3 s of Lambda and 3 s more of Express (soar-analyse is
        // invoked either way; without AI it returns at once).
        let without = cost_report(&Registry::default(), &without_ai()).unwrap();
        let without = path(&without, FindingPath::Remediate);
        assert_eq!((without.lambda_ms, without.express_billed_ms), (126, 200));
        let added = remediate.usd_per_million_findings - without.usd_per_million_findings;
        let expected = 1e6 * 2.999 * (128.0 / 1024.0) * 0.000_013_333_4
            + 1e6 * 3.0 * (64.0 / 1024.0) * 0.000_016_67;
        assert!(
            (added - expected).abs() < 1e-6,
            "{added} against {expected}"
        );
        // Swept: one Standard transition per child, 4 per page of 50, one
        // soar-sweep call of 50 ms per page.
        let share = 25.0 * (1.0 + 4.0 / 50.0)
            + (0.20 + 1e6 * 0.05 * (128.0 / 1024.0) * 0.000_013_333_4) / 50.0;
        assert!((remediate.usd_per_million_when_swept - (express + lambda + share)).abs() < 1e-9);
        // Dearer prices give dearer findings.
        let dear = Model {
            prices: Prices {
                lambda_usd_per_million_requests: 0.40,
                ..Prices::US_EAST_1
            },
            ..Model::default()
        };
        let dear = cost_report(&Registry::default(), &dear).unwrap();
        let ticket = path(&dear, FindingPath::Ticket).usd_per_million_findings;
        // Three invocations: soar-decide, soar-analyse, soar-update.
        assert!(
            (ticket - path(&report, FindingPath::Ticket).usd_per_million_findings - 0.6).abs()
                < 1e-9
        );
    }

    #[test]
    fn standard_transitions_are_what_the_anchor_pays_for() {
        let report = report();
        let ticket = path(&report, FindingPath::Ticket);
        let anchor = f64::from(PYTHON_ANCHOR_TICKET_TRANSITIONS) * 25.0;
        assert!((anchor - 550.0).abs() < 1e-9);
        assert!(ticket.usd_per_million_as_standard < anchor);
        assert!(ticket.usd_per_million_findings * 50.0 < anchor);
    }

    #[test]
    fn the_json_has_the_paths_and_the_prices() {
        let json = report().to_json();
        let keys = |value: &Value| -> BTreeSet<String> {
            value.as_object().unwrap().keys().cloned().collect()
        };
        assert_eq!(
            keys(&json),
            BTreeSet::from(["paths".into(), "prices".into()])
        );
        let names: BTreeSet<String> = FindingPath::ALL
            .iter()
            .map(|p| p.name().to_owned())
            .collect();
        assert_eq!(keys(&json["paths"]), names);
        assert_eq!(names.len(), 5);
        for (name, path) in json["paths"].as_object().unwrap() {
            assert!(path["transitions"].is_u64(), "{name}");
            assert!(path["lambda_invocations"].is_u64(), "{name}");
            assert!(path["usd_per_million_findings"].is_f64(), "{name}");
        }
        assert_eq!(json["paths"]["remediate"]["transitions"], 7);
        assert_eq!(json["prices"]["region"], "us-east-1");
        assert_eq!(json["prices"]["express_usd_per_million_requests"], 1.0);
        assert_eq!(
            json["prices"]["standard_usd_per_thousand_transitions"],
            0.025
        );
        assert_eq!(json["prices"]["lambda_usd_per_gb_second"], 0.000_013_333_4);
        assert_eq!(json["prices"]["handler_ms"]["soar-remediate"], 60);
    }

    #[test]
    fn the_table_names_its_prices() {
        let text = report().to_text();
        for needle in [
            "us-east-1",
            "$1.00 per million requests",
            "$0.00001667 per GB-second",
            "$0.025 per 1,000 state transitions",
            "$0.20 per million requests",
            "$0.0000133334 per GB-second",
            "remediate",
            "$550.00",
        ] {
            assert!(text.contains(needle), "{needle} in\n{text}");
        }
    }
}
