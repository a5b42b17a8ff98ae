//! A small interpreter of the Amazon States Language these machines use,
//! so that tests and the cost model walk the JSON that is deployed instead
//! of a description of it.
//!
//! It runs, in JSONPath mode: `Task` (the caller plays every resource),
//! `Choice`, `Pass`, `Map` (inline and distributed, items one after the
//! other), `Succeed` and `Fail`; `Parameters` with `.$` paths and the
//! intrinsics `States.JsonMerge` and `States.MathAdd`; `ResultSelector`,
//! `ResultPath`, `OutputPath`; `Catch`; `MaxConcurrencyPath` (checked, not
//! used); Distributed Map's `ToleratedFailurePercentage`. Choice rules:
//! `StringEquals`, `BooleanEquals`, `NumericEquals`,
//! `NumericGreaterThanEquals`, `NumericLessThan`, `IsPresent`, `IsNull`,
//! `IsString`, `IsNumeric`, `IsBoolean`, `And`, `Or`, `Not`, on paths
//! `$`, `$.a.b` and `$$.a.b` (the context object).
//!
//! It follows Step Functions where that matters to routing: a comparison
//! of a value of another type is false, a path that selects nothing is an
//! error (`States.Runtime`), `And` and `Or` stop at the first operand that
//! decides. `Retry` is not simulated: a task's error is its error after
//! the retries. Anything outside this subset is
//! [`EvalError::Unsupported`], never a guess.

use serde_json::{json, Map, Value};

use super::LAMBDA_INVOKE;

/// A Task the interpreter asks the caller to play.
#[derive(Debug, Clone, Copy)]
pub struct Invocation<'a> {
    /// The Task state's name.
    pub state: &'a str,
    /// Its `Resource`.
    pub resource: &'a str,
    /// For `lambda:invoke`, the `FunctionName` parameter.
    pub function: Option<&'a str>,
    /// For `lambda:invoke`, the `Payload` parameter; otherwise all the
    /// parameters.
    pub payload: &'a Value,
}

/// A task that failed, as `Catch` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    /// The error name (`errorType`), such as `soar.PortFailed`.
    pub error: String,
    /// The message.
    pub cause: String,
}

/// A state the execution entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entered {
    /// The state's name.
    pub state: String,
    /// Its `Type`.
    pub state_type: String,
    /// 0 at the top level, 1 inside a `Map`'s item processor, and so on.
    pub depth: usize,
}

/// What an execution did.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Its output.
    pub output: Value,
    /// Every state entered, in order. Step Functions bills a Standard
    /// workflow per state entered.
    pub entered: Vec<Entered>,
}

impl Run {
    /// The names of the states entered, in order.
    pub fn path(&self) -> Vec<&str> {
        self.entered.iter().map(|e| e.state.as_str()).collect()
    }

    /// The names of the states entered at `depth`, in order.
    pub fn path_at(&self, depth: usize) -> Vec<&str> {
        self.entered
            .iter()
            .filter(|e| e.depth == depth)
            .map(|e| e.state.as_str())
            .collect()
    }
}

/// Why an execution could not be interpreted, or failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A path selected nothing: `States.Runtime` in Step Functions.
    #[error("state {state}: path {path} selects nothing")]
    MissingPath {
        /// The state.
        state: String,
        /// The path.
        path: String,
    },
    /// The definition is not valid ASL.
    #[error("state {state}: {message}")]
    Definition {
        /// The state (or `StartAt`).
        state: String,
        /// What is wrong.
        message: String,
    },
    /// Valid ASL this interpreter does not run.
    #[error("state {state}: {what} is not supported by this interpreter")]
    Unsupported {
        /// The state.
        state: String,
        /// What.
        what: String,
    },
    /// An error no `Catch` caught, or a `Fail` state.
    #[error("state {state} failed with {error}: {cause}")]
    Failed {
        /// The state.
        state: String,
        /// The error name.
        error: String,
        /// The message.
        cause: String,
    },
    /// The execution went on for longer than any of these machines should.
    #[error("more than {0} states entered")]
    TooManyTransitions(usize),
}

/// The most states one run may enter, so that a loop in a definition ends.
pub const MAX_TRANSITIONS: usize = 100_000;

/// What plays each Task: the Lambda payload (or the integration's result)
/// it returns, or the error it raises.
pub type Tasks<'a> = dyn FnMut(&Invocation<'_>) -> Result<Value, TaskError> + 'a;

/// Runs `definition` on `input`. `context` is the context object (`$$`),
/// such as `{"Execution": {"Id": "..."}, "StateMachine": {"Id": "..."}}`.
///
/// # Errors
/// [`EvalError`]: a failed execution, a definition this interpreter does
/// not run, or an invalid one.
pub fn run(
    definition: &Value,
    input: Value,
    context: &Value,
    tasks: &mut Tasks<'_>,
) -> Result<Run, EvalError> {
    let mut interpreter = Interpreter {
        context,
        tasks,
        entered: Vec::new(),
    };
    let output = interpreter.machine(definition, input, 0)?;
    Ok(Run {
        output,
        entered: interpreter.entered,
    })
}

/// Where a state leads, with its output.
enum Step {
    Next(String, Value),
    End(Value),
}

struct Interpreter<'a, 'b> {
    context: &'a Value,
    tasks: &'a mut Tasks<'b>,
    entered: Vec<Entered>,
}

fn definition_error(state: &str, message: impl Into<String>) -> EvalError {
    EvalError::Definition {
        state: state.to_owned(),
        message: message.into(),
    }
}

fn unsupported(state: &str, what: impl Into<String>) -> EvalError {
    EvalError::Unsupported {
        state: state.to_owned(),
        what: what.into(),
    }
}

fn text(state: &Value, member: &str) -> String {
    state
        .get(member)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

impl Interpreter<'_, '_> {
    fn machine(&mut self, machine: &Value, input: Value, depth: usize) -> Result<Value, EvalError> {
        let states = machine
            .get("States")
            .and_then(Value::as_object)
            .ok_or_else(|| definition_error("States", "no States object"))?;
        let mut current = machine
            .get("StartAt")
            .and_then(Value::as_str)
            .ok_or_else(|| definition_error("StartAt", "no StartAt"))?
            .to_owned();
        let mut value = input;
        loop {
            let state = states
                .get(&current)
                .ok_or_else(|| definition_error(&current, "no such state"))?;
            let state_type = state
                .get("Type")
                .and_then(Value::as_str)
                .ok_or_else(|| definition_error(&current, "no Type"))?;
            if self.entered.len() >= MAX_TRANSITIONS {
                return Err(EvalError::TooManyTransitions(MAX_TRANSITIONS));
            }
            self.entered.push(Entered {
                state: current.clone(),
                state_type: state_type.to_owned(),
                depth,
            });
            if state.get("InputPath").is_some_and(|p| p != "$") {
                return Err(unsupported(&current, "InputPath"));
            }
            let step = match state_type {
                "Task" => self.task(&current, state, value)?,
                "Choice" => self.choice(&current, state, value)?,
                "Pass" => self.pass(&current, state, value)?,
                "Map" => self.map(&current, state, value, depth)?,
                "Succeed" => Step::End(self.output_path(&current, state, value)?),
                "Fail" => {
                    return Err(EvalError::Failed {
                        state: current,
                        error: text(state, "Error"),
                        cause: text(state, "Cause"),
                    })
                }
                other => return Err(unsupported(&current, format!("state type {other}"))),
            };
            match step {
                Step::Next(next, output) => {
                    current = next;
                    value = output;
                }
                Step::End(output) => return Ok(output),
            }
        }
    }

    /// `Next` or `End`, after `OutputPath`.
    fn transition(&self, name: &str, state: &Value, output: Value) -> Result<Step, EvalError> {
        let output = self.output_path(name, state, output)?;
        if state.get("End").and_then(Value::as_bool) == Some(true) {
            return Ok(Step::End(output));
        }
        match state.get("Next").and_then(Value::as_str) {
            Some(next) => Ok(Step::Next(next.to_owned(), output)),
            None => Err(definition_error(name, "neither Next nor End")),
        }
    }

    fn task(&mut self, name: &str, state: &Value, input: Value) -> Result<Step, EvalError> {
        let resource = state
            .get("Resource")
            .and_then(Value::as_str)
            .ok_or_else(|| definition_error(name, "a Task needs a Resource"))?;
        let parameters = match state.get("Parameters") {
            Some(template) => self.resolve(name, template, &input)?,
            None => input.clone(),
        };
        let lambda = resource == LAMBDA_INVOKE;
        let null = Value::Null;
        let invocation = Invocation {
            state: name,
            resource,
            function: if lambda {
                parameters.get("FunctionName").and_then(Value::as_str)
            } else {
                None
            },
            payload: if lambda {
                parameters.get("Payload").unwrap_or(&null)
            } else {
                &parameters
            },
        };
        match (self.tasks)(&invocation) {
            Ok(result) => {
                // What the optimized Lambda integration returns: the
                // function's output under `Payload`.
                let result = if lambda {
                    json!({"Payload": result, "StatusCode": 200})
                } else {
                    result
                };
                let result = match state.get("ResultSelector") {
                    Some(selector) => self.resolve(name, selector, &result)?,
                    None => result,
                };
                let output = self.result_path(name, state, input, result)?;
                self.transition(name, state, output)
            }
            Err(error) => self.catch(name, state, input, error),
        }
    }

    fn catch(
        &self,
        name: &str,
        state: &Value,
        input: Value,
        error: TaskError,
    ) -> Result<Step, EvalError> {
        let catchers = state
            .get("Catch")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for catcher in catchers {
            let matches = catcher
                .get("ErrorEquals")
                .and_then(Value::as_array)
                .ok_or_else(|| definition_error(name, "a catcher needs ErrorEquals"))?
                .iter()
                .filter_map(Value::as_str)
                .any(|e| {
                    e == "States.ALL"
                        || e == error.error
                        || (e == "States.TaskFailed" && !error.error.starts_with("States."))
                });
            if !matches {
                continue;
            }
            let next = catcher
                .get("Next")
                .and_then(Value::as_str)
                .ok_or_else(|| definition_error(name, "a catcher needs Next"))?;
            let error_output = json!({"Error": error.error, "Cause": error.cause});
            let output = self.result_path(name, catcher, input, error_output)?;
            return Ok(Step::Next(next.to_owned(), output));
        }
        Err(EvalError::Failed {
            state: name.to_owned(),
            error: error.error,
            cause: error.cause,
        })
    }

    fn choice(&self, name: &str, state: &Value, input: Value) -> Result<Step, EvalError> {
        let rules = state
            .get("Choices")
            .and_then(Value::as_array)
            .filter(|rules| !rules.is_empty())
            .ok_or_else(|| definition_error(name, "a Choice needs a non-empty Choices"))?;
        for rule in rules {
            if self.rule(name, rule, &input)? {
                let next = rule
                    .get("Next")
                    .and_then(Value::as_str)
                    .ok_or_else(|| definition_error(name, "a top-level Choice rule needs Next"))?;
                let output = self.output_path(name, state, input)?;
                return Ok(Step::Next(next.to_owned(), output));
            }
        }
        match state.get("Default").and_then(Value::as_str) {
            Some(default) => {
                let output = self.output_path(name, state, input)?;
                Ok(Step::Next(default.to_owned(), output))
            }
            None => Err(EvalError::Failed {
                state: name.to_owned(),
                error: "States.NoChoiceMatched".to_owned(),
                cause: "no Choice rule matched and there is no Default".to_owned(),
            }),
        }
    }

    fn rule(&self, name: &str, rule: &Value, input: &Value) -> Result<bool, EvalError> {
        let operands = |key: &str| -> Result<Option<&Vec<Value>>, EvalError> {
            match rule.get(key) {
                None => Ok(None),
                Some(Value::Array(rules)) if !rules.is_empty() => Ok(Some(rules)),
                Some(_) => Err(definition_error(
                    name,
                    format!("{key} needs a non-empty array"),
                )),
            }
        };
        if let Some(rules) = operands("And")? {
            for inner in rules {
                if !self.rule(name, inner, input)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        if let Some(rules) = operands("Or")? {
            for inner in rules {
                if self.rule(name, inner, input)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        if let Some(inner) = rule.get("Not") {
            return Ok(!self.rule(name, inner, input)?);
        }
        let variable = rule
            .get("Variable")
            .and_then(Value::as_str)
            .ok_or_else(|| definition_error(name, "a comparison needs a Variable"))?;
        let object = rule
            .as_object()
            .ok_or_else(|| definition_error(name, "a Choice rule is an object"))?;
        let mut operators = object
            .iter()
            .filter(|(key, _)| !matches!(key.as_str(), "Variable" | "Next" | "Comment"));
        let (Some((operator, operand)), None) = (operators.next(), operators.next()) else {
            return Err(definition_error(
                name,
                "a comparison needs exactly one operator",
            ));
        };
        let selected = self.select(name, variable, input)?;
        if operator == "IsPresent" {
            return Ok(selected.is_some() == flag(name, operand)?);
        }
        let value = selected.ok_or_else(|| EvalError::MissingPath {
            state: name.to_owned(),
            path: variable.to_owned(),
        })?;
        let number = |operand: &Value| -> Result<(Option<f64>, f64), EvalError> {
            let bound = operand
                .as_f64()
                .ok_or_else(|| definition_error(name, format!("{operator} needs a number")))?;
            Ok((value.as_f64(), bound))
        };
        Ok(match operator.as_str() {
            "StringEquals" => {
                let expected = operand
                    .as_str()
                    .ok_or_else(|| definition_error(name, "StringEquals needs a string"))?;
                value.as_str() == Some(expected)
            }
            "BooleanEquals" => value.as_bool() == Some(flag(name, operand)?),
            "IsNull" => value.is_null() == flag(name, operand)?,
            "IsString" => value.is_string() == flag(name, operand)?,
            "IsNumeric" => value.is_number() == flag(name, operand)?,
            "IsBoolean" => value.is_boolean() == flag(name, operand)?,
            "NumericEquals" => matches!(number(operand)?, (Some(v), b) if v == b),
            "NumericGreaterThanEquals" => matches!(number(operand)?, (Some(v), b) if v >= b),
            "NumericLessThan" => matches!(number(operand)?, (Some(v), b) if v < b),
            other => return Err(unsupported(name, format!("the Choice operator {other}"))),
        })
    }

    fn pass(&self, name: &str, state: &Value, input: Value) -> Result<Step, EvalError> {
        let result = match (state.get("Parameters"), state.get("Result")) {
            (Some(template), _) => self.resolve(name, template, &input)?,
            (None, Some(result)) => result.clone(),
            (None, None) => input.clone(),
        };
        let output = self.result_path(name, state, input, result)?;
        self.transition(name, state, output)
    }

    fn map(
        &mut self,
        name: &str,
        state: &Value,
        input: Value,
        depth: usize,
    ) -> Result<Step, EvalError> {
        if state.get("ItemSelector").is_some() || state.get("ItemReader").is_some() {
            return Err(unsupported(name, "ItemSelector and ItemReader"));
        }
        let items_path = state
            .get("ItemsPath")
            .and_then(Value::as_str)
            .unwrap_or("$");
        let items = self
            .select(name, items_path, &input)?
            .ok_or_else(|| EvalError::MissingPath {
                state: name.to_owned(),
                path: items_path.to_owned(),
            })?
            .as_array()
            .cloned()
            .ok_or_else(|| EvalError::Failed {
                state: name.to_owned(),
                error: "States.Runtime".to_owned(),
                cause: format!("{items_path} is not an array"),
            })?;
        if let Some(path) = state.get("MaxConcurrencyPath").and_then(Value::as_str) {
            let concurrency = self.select(name, path, &input)?;
            if !concurrency.is_some_and(Value::is_u64) {
                return Err(EvalError::Failed {
                    state: name.to_owned(),
                    error: "States.Runtime".to_owned(),
                    cause: format!("{path} is not a non-negative integer: {concurrency:?}"),
                });
            }
        }
        let processor = state
            .get("ItemProcessor")
            .or_else(|| state.get("Iterator"))
            .ok_or_else(|| definition_error(name, "a Map needs an ItemProcessor"))?;
        let distributed = processor
            .pointer("/ProcessorConfig/Mode")
            .and_then(Value::as_str)
            == Some("DISTRIBUTED");
        let tolerated = state
            .get("ToleratedFailurePercentage")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let total = items.len();
        let mut results = Vec::with_capacity(total);
        let mut failures = 0_usize;
        for item in items {
            match self.machine(processor, item, depth + 1) {
                Ok(output) => results.push(output),
                // Each item of a Distributed Map is its own child execution:
                // its failure is counted against the tolerance.
                Err(EvalError::Failed { error, cause, .. }) if distributed => {
                    failures += 1;
                    results.push(json!({"Error": error, "Cause": cause}));
                }
                Err(error) => return Err(error),
            }
        }
        if failures > 0 {
            // Precision is no concern: a page holds at most 100 items.
            #[allow(clippy::cast_precision_loss)]
            let failed_percentage = 100.0 * failures as f64 / total as f64;
            if failed_percentage > tolerated {
                return Err(EvalError::Failed {
                    state: name.to_owned(),
                    error: "States.ExceedToleratedFailureThreshold".to_owned(),
                    cause: format!("{failures} of {total} items failed"),
                });
            }
        }
        let result = match state.get("ResultSelector") {
            Some(selector) => self.resolve(name, selector, &Value::Array(results))?,
            None => Value::Array(results),
        };
        let output = self.result_path(name, state, input, result)?;
        self.transition(name, state, output)
    }

    fn output_path(&self, name: &str, state: &Value, value: Value) -> Result<Value, EvalError> {
        match state.get("OutputPath") {
            None => Ok(value),
            Some(Value::Null) => Ok(json!({})),
            Some(Value::String(path)) => {
                self.select(name, path, &value)?
                    .cloned()
                    .ok_or_else(|| EvalError::MissingPath {
                        state: name.to_owned(),
                        path: path.clone(),
                    })
            }
            Some(_) => Err(definition_error(name, "OutputPath is a path or null")),
        }
    }

    /// Places `result` into `input` as `ResultPath` (of the state or a
    /// catcher) says.
    fn result_path(
        &self,
        name: &str,
        holder: &Value,
        mut input: Value,
        result: Value,
    ) -> Result<Value, EvalError> {
        let path = match holder.get("ResultPath") {
            None => return Ok(result),
            Some(Value::Null) => return Ok(input),
            Some(Value::String(path)) => path,
            Some(_) => return Err(definition_error(name, "ResultPath is a path or null")),
        };
        let members = members(name, path)?;
        if path.starts_with("$$") {
            return Err(definition_error(
                name,
                "ResultPath cannot write the context object",
            ));
        }
        let Some((last, parents)) = members.split_last() else {
            return Ok(result);
        };
        let mut target = &mut input;
        for member in parents {
            target = target
                .as_object_mut()
                .ok_or_else(|| definition_error(name, format!("{path}: not an object")))?
                .entry(member.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        target
            .as_object_mut()
            .ok_or_else(|| definition_error(name, format!("{path}: not an object")))?
            .insert((*last).to_owned(), result);
        Ok(input)
    }

    /// What `path` selects in `input` (or, for `$$`, in the context object).
    fn select<'v>(
        &'v self,
        name: &str,
        path: &str,
        input: &'v Value,
    ) -> Result<Option<&'v Value>, EvalError> {
        let root = if path.starts_with("$$") {
            self.context
        } else {
            input
        };
        let mut value = root;
        for member in members(name, path)? {
            match value.get(member) {
                Some(inner) => value = inner,
                None => return Ok(None),
            }
        }
        Ok(Some(value))
    }

    /// A `Parameters` or `ResultSelector` template, filled from `input`.
    fn resolve(&self, name: &str, template: &Value, input: &Value) -> Result<Value, EvalError> {
        match template {
            Value::Object(object) => {
                let mut out = Map::new();
                for (key, value) in object {
                    if let Some(key) = key.strip_suffix(".$") {
                        let expression = value.as_str().ok_or_else(|| {
                            definition_error(name, format!("{key}.$ needs a path or an intrinsic"))
                        })?;
                        out.insert(key.to_owned(), self.expression(name, expression, input)?);
                    } else {
                        out.insert(key.clone(), self.resolve(name, value, input)?);
                    }
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => items
                .iter()
                .map(|item| self.resolve(name, item, input))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    /// A path, or one of the intrinsics `States.JsonMerge` and
    /// `States.MathAdd` with paths and literals as arguments.
    fn expression(&self, name: &str, expression: &str, input: &Value) -> Result<Value, EvalError> {
        let Some(call) = expression.strip_prefix("States.") else {
            return self
                .select(name, expression, input)?
                .cloned()
                .ok_or_else(|| EvalError::MissingPath {
                    state: name.to_owned(),
                    path: expression.to_owned(),
                });
        };
        let (function, arguments) = call
            .strip_suffix(')')
            .and_then(|call| call.split_once('('))
            .ok_or_else(|| definition_error(name, format!("{expression}: not a call")))?;
        let arguments = arguments
            .split(',')
            .map(|argument| self.argument(name, argument.trim(), input))
            .collect::<Result<Vec<_>, _>>()?;
        match (function, arguments.as_slice()) {
            ("JsonMerge", [Value::Object(left), Value::Object(right), Value::Bool(false)]) => {
                let mut merged = left.clone();
                merged.extend(right.clone());
                Ok(Value::Object(merged))
            }
            ("MathAdd", [left, right]) => match (left.as_i64(), right.as_i64()) {
                (Some(left), Some(right)) => Ok(json!(left.saturating_add(right))),
                _ => Err(EvalError::Failed {
                    state: name.to_owned(),
                    error: "States.IntrinsicFailure".to_owned(),
                    cause: format!("{expression}: the arguments are not integers"),
                }),
            },
            _ => Err(unsupported(name, format!("the intrinsic {expression}"))),
        }
    }

    fn argument(&self, name: &str, argument: &str, input: &Value) -> Result<Value, EvalError> {
        if argument.starts_with('$') {
            return self.expression(name, argument, input);
        }
        if let Some(text) = argument
            .strip_prefix('\'')
            .and_then(|a| a.strip_suffix('\''))
        {
            return Ok(json!(text));
        }
        serde_json::from_str(argument)
            .map_err(|_| unsupported(name, format!("the intrinsic argument {argument}")))
    }
}

fn flag(name: &str, operand: &Value) -> Result<bool, EvalError> {
    operand
        .as_bool()
        .ok_or_else(|| definition_error(name, "the operator needs true or false"))
}

/// The member names of a path `$`, `$.a.b`, `$$.a.b`.
fn members<'p>(name: &str, path: &'p str) -> Result<Vec<&'p str>, EvalError> {
    let rest = path
        .strip_prefix("$$")
        .or_else(|| path.strip_prefix('$'))
        .ok_or_else(|| definition_error(name, format!("{path} is not a path")))?;
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let rest = rest
        .strip_prefix('.')
        .ok_or_else(|| unsupported(name, format!("the path {path}")))?;
    let members: Vec<&str> = rest.split('.').collect();
    if members.iter().any(|m| {
        m.is_empty()
            || !m
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }) {
        return Err(unsupported(name, format!("the path {path}")));
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_choice(rule: Value, input: Value) -> Result<bool, EvalError> {
        let definition = json!({
            "StartAt": "C",
            "States": {
                "C": {"Type": "Choice", "Choices": [{"Next": "Yes"}], "Default": "No"},
                "Yes": {"Type": "Succeed"},
                "No": {"Type": "Succeed"},
            }
        });
        let mut definition = definition;
        if let Some(first) = definition.pointer_mut("/States/C/Choices/0") {
            let mut rule = rule;
            rule["Next"] = json!("Yes");
            *first = rule;
        }
        let run = run(&definition, input, &json!({}), &mut |_| Ok(json!(null)))?;
        Ok(run.path() == ["C", "Yes"])
    }

    #[test]
    fn comparisons_are_false_on_other_types_and_errors_on_missing_paths() {
        let input = json!({"a": {"s": "x", "b": true, "n": null, "k": 3}});
        let yes = |rule| run_choice(rule, input.clone()).unwrap();
        assert!(yes(json!({"Variable": "$.a.s", "StringEquals": "x"})));
        assert!(!yes(json!({"Variable": "$.a.n", "StringEquals": "x"})));
        assert!(!yes(json!({"Variable": "$.a.b", "StringEquals": "true"})));
        assert!(yes(json!({"Variable": "$.a.b", "BooleanEquals": true})));
        assert!(!yes(json!({"Variable": "$.a.s", "BooleanEquals": true})));
        assert!(yes(json!({"Variable": "$.a.n", "IsNull": true})));
        assert!(yes(json!({"Variable": "$.a.zz", "IsPresent": false})));
        assert!(yes(
            json!({"Variable": "$.a.k", "NumericGreaterThanEquals": 3})
        ));
        assert!(!yes(
            json!({"Variable": "$.a.k", "NumericGreaterThanEquals": 4})
        ));
        let missing = run_choice(
            json!({"Variable": "$.a.zz", "StringEquals": "x"}),
            input.clone(),
        );
        assert!(matches!(missing, Err(EvalError::MissingPath { path, .. }) if path == "$.a.zz"));
    }

    #[test]
    fn and_or_not_combine_and_stop_early() {
        let input = json!({"a": "x"});
        let yes = |rule| run_choice(rule, input.clone()).unwrap();
        let present = json!({"Variable": "$.b", "IsPresent": true});
        let b_is_x = json!({"Variable": "$.b", "StringEquals": "x"});
        // The second operand would fail on the missing path: And stops first.
        assert!(!yes(json!({"And": [present, b_is_x]})));
        assert!(yes(json!({"Or": [
            {"Variable": "$.a", "StringEquals": "y"},
            {"Not": {"Variable": "$.a", "StringEquals": "y"}},
        ]})));
        assert!(matches!(
            run_choice(
                json!({"Variable": "$.a", "StringMatches": "x*"}),
                input.clone()
            ),
            Err(EvalError::Unsupported { .. })
        ));
    }

    #[test]
    fn task_results_go_through_selector_result_path_and_output_path() {
        let definition = json!({
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA_INVOKE,
                    "Parameters": {"FunctionName": "f", "Payload": {"x.$": "$.in"}},
                    "ResultSelector": {"got.$": "$.Payload.y"},
                    "ResultPath": "$.out",
                    "Next": "P",
                },
                "P": {
                    "Type": "Pass",
                    "Parameters": {"sum.$": "States.MathAdd($.out.got, 1)", "m.$": "States.JsonMerge($.a, $.b, false)"},
                    "End": true,
                },
            }
        });
        let mut seen = Vec::new();
        let run = run(
            &definition,
            json!({"in": 41, "a": {"k": 1, "l": 1}, "b": {"l": 2}}),
            &json!({}),
            &mut |call| {
                seen.push((call.function.map(str::to_owned), call.payload.clone()));
                Ok(json!({"y": call.payload["x"]}))
            },
        )
        .unwrap();
        assert_eq!(seen, [(Some("f".to_owned()), json!({"x": 41}))]);
        assert_eq!(run.output, json!({"sum": 42, "m": {"k": 1, "l": 2}}));
    }

    #[test]
    fn catch_routes_an_error_and_an_uncaught_one_fails_the_run() {
        let definition = json!({
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task", "Resource": "r", "Next": "Ok",
                    "Catch": [{"ErrorEquals": ["soar.Known"], "ResultPath": "$.error", "Next": "Caught"}],
                },
                "Ok": {"Type": "Succeed"},
                "Caught": {"Type": "Succeed"},
            }
        });
        let fail = |error: &str| {
            let error = error.to_owned();
            move |_: &Invocation<'_>| {
                Err(TaskError {
                    error: error.clone(),
                    cause: "c".to_owned(),
                })
            }
        };
        let caught = run(&definition, json!({}), &json!({}), &mut fail("soar.Known")).unwrap();
        assert_eq!(caught.path(), ["T", "Caught"]);
        assert_eq!(caught.output["error"]["Error"], "soar.Known");
        let failed = run(&definition, json!({}), &json!({}), &mut fail("soar.Other"));
        assert!(matches!(failed, Err(EvalError::Failed { error, .. }) if error == "soar.Other"));
    }
}
