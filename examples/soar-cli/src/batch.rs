//! `soar process` on batches: the documents of an input, read as they are
//! needed, and the summary of a run.
//!
//! An input holds one event, a bare finding, a JSON array of either, or JSON
//! lines (several documents one after the other, one per line or not).
//! Each document is parsed on its own with [`LazyEvent::parse`], so an error
//! names the document (`batch.jsonl:17`, `batch.json[3]`) and the JSON path
//! in it, and one bad document does not stop the others.
//!
//! JSON lines stream: [`read_documents`] reads one line at a time, so memory
//! stays flat however long the input is, and a pipe is decided as it comes.
//! A JSON array or pretty-printed documents are read whole.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufRead};
use std::time::Duration;

use serde::de::IgnoredAny;
use serde_json::Value;
use soar_asff::{Event, LazyEvent};
use soar_core::{Decision, Scratchpad};

/// One document of the input: where it is, and the event it holds or why
/// it holds none.
#[derive(Debug)]
pub(crate) struct Document {
    /// `FILE` for a file of one document, `FILE:LINE` or `FILE[INDEX]` in a batch.
    pub(crate) at: String,
    /// The event, or what is wrong with the document.
    pub(crate) event: Result<LazyEvent, String>,
}

/// The documents of `reader`, read from `source` (a file name, or
/// `standard input`), in order, as they are asked for.
///
/// The first two lines that hold something tell JSON lines from the rest
/// ([`is_json_lines`]): JSON lines are then read one line at a time; any
/// other input is read whole and split as [`documents`] splits it.
///
/// # Errors
/// What reading the first lines, or a whole input, fails with.
pub(crate) fn read_documents<R: BufRead>(
    source: &str,
    mut reader: R,
) -> io::Result<impl Iterator<Item = io::Result<Document>>> {
    let mut read = Vec::new();
    let mut head: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut number = 0;
    while head.len() < 2 {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        if number == 1 {
            // Editors on Windows write a byte-order mark, which JSON does not allow.
            if let Some(rest) = line.strip_prefix(b"\xEF\xBB\xBF") {
                line = rest.to_vec();
            }
        }
        read.extend_from_slice(&line);
        if line.iter().any(|b| !is_json_whitespace(*b)) {
            head.push((number, line));
        }
    }
    let starts_an_array = head
        .first()
        .and_then(|(_, line)| line.iter().find(|b| !is_json_whitespace(**b)))
        == Some(&b'[');
    let lines: Vec<&[u8]> = head.iter().map(|(_, line)| line.as_slice()).collect();
    if !starts_an_array && is_json_lines(&lines) {
        let source = source.to_owned();
        let head = head.into_iter().map(Ok);
        let rest = Lines { reader, number };
        return Ok(Streamed::Lines(head.chain(rest).map(move |line| {
            line.map(|(number, line)| Document {
                at: format!("{source}:{number}"),
                event: LazyEvent::parse(&line).map_err(|e| e.to_string()),
            })
        })));
    }
    reader.read_to_end(&mut read)?;
    Ok(Streamed::Whole(
        documents(source, &read).into_iter().map(Ok),
    ))
}

/// The documents of [`read_documents`]: streamed lines, or a whole input.
enum Streamed<L, W> {
    Lines(L),
    Whole(W),
}

impl<L, W> Iterator for Streamed<L, W>
where
    L: Iterator<Item = io::Result<Document>>,
    W: Iterator<Item = io::Result<Document>>,
{
    type Item = io::Result<Document>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Streamed::Lines(lines) => lines.next(),
            Streamed::Whole(whole) => whole.next(),
        }
    }
}

/// The lines of `reader` that hold something, with their numbers, one at
/// a time.
struct Lines<R> {
    reader: R,
    /// The number of the last line read.
    number: usize,
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = io::Result<(usize, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let mut line = Vec::new();
            match self.reader.read_until(b'\n', &mut line) {
                Ok(0) => return None,
                Ok(_) => self.number += 1,
                Err(error) => return Some(Err(error)),
            }
            if line.iter().any(|b| !is_json_whitespace(*b)) {
                return Some(Ok((self.number, line)));
            }
        }
    }
}

/// The documents of `bytes`, read from `source` (a file name, or
/// `standard input`), in order. An input with no document at all gives one
/// [`Document`] that says so.
pub(crate) fn documents(source: &str, bytes: &[u8]) -> Vec<Document> {
    // Editors on Windows write a byte-order mark, which JSON does not allow.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes.iter().position(|b| !is_json_whitespace(*b));
    let lines: Vec<&[u8]> = filled_lines(bytes).take(2).map(|(_, line)| line).collect();
    match start.map(|at| bytes[at]) {
        None => vec![Document {
            at: source.to_owned(),
            event: Err("no event: the input is empty".to_owned()),
        }],
        Some(b'[') => array(source, bytes),
        Some(_) if is_json_lines(&lines) => json_lines(source, bytes),
        Some(_) => sequence(source, bytes),
    }
}

/// The whitespace JSON allows between values.
fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// The lines that hold something, with their numbers (from 1).
fn filled_lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| line.iter().any(|b| !is_json_whitespace(*b)))
        .map(|(index, line)| (index + 1, line))
}

/// JSON lines: more than one line, and the first or the second (of the
/// first two that hold something) is a whole JSON value on its own (so a
/// broken first line still reads as JSON lines). A pretty-printed
/// document's first two lines are not.
fn is_json_lines(first_two: &[&[u8]]) -> bool {
    let whole = |line: &[u8]| serde_json::from_slice::<IgnoredAny>(line).is_ok();
    first_two.len() == 2 && first_two.iter().any(|line| whole(line))
}

/// A JSON array of events or findings.
fn array(source: &str, bytes: &[u8]) -> Vec<Document> {
    match serde_json::from_slice::<Vec<Value>>(bytes) {
        Ok(values) if values.is_empty() => vec![Document {
            at: source.to_owned(),
            event: Err("no event: the array is empty".to_owned()),
        }],
        Ok(values) => values
            .into_iter()
            .enumerate()
            .map(|(index, value)| Document {
                at: format!("{source}[{index}]"),
                event: Event::from_value(value)
                    .map(LazyEvent::from)
                    .map_err(|e| e.to_string()),
            })
            .collect(),
        Err(error) => vec![Document {
            at: source.to_owned(),
            event: Err(format!("not a JSON array of events: {error}")),
        }],
    }
}

/// JSON lines: each line on its own, so that a broken line is reported and
/// the others are still decided.
fn json_lines(source: &str, bytes: &[u8]) -> Vec<Document> {
    filled_lines(bytes)
        .map(|(number, line)| Document {
            at: format!("{source}:{number}"),
            event: LazyEvent::parse(line).map_err(|e| e.to_string()),
        })
        .collect()
}

/// One document, or several pretty-printed ones one after the other.
fn sequence(source: &str, bytes: &[u8]) -> Vec<Document> {
    // Find where each document ends without building it; each is then
    // parsed from its own bytes, on the fast path.
    let mut spans = Vec::new();
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<IgnoredAny>();
    let mut begin = 0;
    let mut broken = None;
    while let Some(next) = stream.next() {
        if let Err(error) = next {
            broken = Some(error);
            break;
        }
        let end = stream.byte_offset();
        let first = bytes[begin..end]
            .iter()
            .position(|b| !is_json_whitespace(*b))
            .map_or(begin, |offset| begin + offset);
        spans.push((first, end));
        begin = end;
    }
    if spans.is_empty() || (spans.len() == 1 && broken.is_none()) {
        // One document: its error is the typed parser's, with the path.
        return vec![Document {
            at: source.to_owned(),
            event: LazyEvent::parse(bytes).map_err(|e| e.to_string()),
        }];
    }
    let line_of = |offset: usize| bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1;
    let mut documents: Vec<Document> = spans
        .into_iter()
        .map(|(first, end)| Document {
            at: format!("{source}:{}", line_of(first)),
            event: LazyEvent::parse(&bytes[first..end]).map_err(|e| e.to_string()),
        })
        .collect();
    if let Some(error) = broken {
        // Nothing after a syntax error can be trusted to start a document.
        let broken_at = bytes[begin..]
            .iter()
            .position(|b| !is_json_whitespace(*b))
            .map_or(begin, |offset| begin + offset);
        documents.push(Document {
            at: format!("{source}:{}", line_of(broken_at)),
            event: Err(format!("not JSON, and nothing after it is read: {error}")),
        });
    }
    documents
}

/// What a run decided, counted.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Summary {
    /// Findings decided, by decision (failed controls by how they are handled).
    pub(crate) decided: BTreeMap<String, usize>,
    /// Documents that hold no finding soar can decide, reported on standard error.
    pub(crate) invalid: usize,
    /// Findings the pipeline failed on, reported on standard error.
    pub(crate) failed: usize,
    /// How long the run took.
    pub(crate) elapsed: Duration,
}

impl Summary {
    /// Counts one decided Scratchpad.
    pub(crate) fn count(&mut self, pad: &Scratchpad) {
        let key = match (pad.decision, pad.control_action) {
            (Some(Decision::FailedControl), Some(action)) => action.to_string(),
            (Some(decision), _) => decision.to_string(),
            (None, _) => "undecided".to_owned(),
        };
        *self.decided.entry(key).or_default() += 1;
    }

    /// Findings decided in all.
    pub(crate) fn findings(&self) -> usize {
        self.decided.values().sum()
    }

    /// The exit code: 1 when the pipeline failed on a finding, 2 when a
    /// document was invalid, 0 when every finding was decided.
    pub(crate) fn exit_code(&self) -> u8 {
        if self.failed > 0 {
            1
        } else if self.invalid > 0 {
            2
        } else {
            0
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let findings = self.findings();
        let seconds = self.elapsed.as_secs_f64();
        let rate = if seconds > 0.0 {
            findings as f64 / seconds
        } else {
            0.0
        };
        write!(
            f,
            "decided {findings} finding{} in {seconds:.2} s ({rate:.0} findings/s)",
            if findings == 1 { "" } else { "s" }
        )?;
        let counts: Vec<String> = self
            .decided
            .iter()
            .map(|(decision, count)| format!("{count} {decision}"))
            .collect();
        if !counts.is_empty() {
            write!(f, ": {}", counts.join(", "))?;
        }
        if self.invalid > 0 {
            write!(f, "; {} invalid", self.invalid)?;
        }
        if self.failed > 0 {
            write!(f, "; {} failed", self.failed)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use soar_core::ControlAction;

    use super::*;

    const FINDING: &str = r#"{"SchemaVersion": "2018-10-08", "Id": "f-1",
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
        "GeneratorId": "security-control/S3.8", "AwsAccountId": "111122223333",
        "CreatedAt": "2026-11-01T00:00:00Z", "UpdatedAt": "2026-11-01T00:00:00Z",
        "Title": "t", "Description": "d",
        "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::b"}]}"#;

    fn one_line(json: &str) -> String {
        json.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn ids(documents: &[Document]) -> Vec<(String, Option<String>)> {
        documents
            .iter()
            .map(|d| {
                let id = match &d.event {
                    Ok(LazyEvent::Findings { findings, .. }) => Some(findings[0].id.clone()),
                    _ => None,
                };
                (d.at.clone(), id)
            })
            .collect()
    }

    #[test]
    fn one_document_is_named_by_its_file() {
        let documents = documents("f.json", FINDING.as_bytes());
        assert_eq!(
            ids(&documents),
            [("f.json".to_owned(), Some("f-1".to_owned()))]
        );
    }

    #[test]
    fn json_lines_are_named_by_their_line() {
        let line = one_line(FINDING);
        let second = line.replace("f-1", "f-2");
        let input = format!("{line}\n\n{second}\n");
        let documents = documents("b.jsonl", input.as_bytes());
        assert_eq!(
            ids(&documents),
            [
                ("b.jsonl:1".to_owned(), Some("f-1".to_owned())),
                ("b.jsonl:3".to_owned(), Some("f-2".to_owned())),
            ]
        );
    }

    #[test]
    fn a_broken_line_is_reported_and_the_others_still_parse() {
        let line = one_line(FINDING);
        let missing_title = line.replace(r#""Title": "t", "#, "");
        let input = format!("{line}\r\n{{\"Id\": \r\n{missing_title}\r\n");
        // A broken first line too.
        let first_broken = documents("b.jsonl", format!("{{\"Id\": \n{line}\n").as_bytes());
        assert_eq!(first_broken.len(), 2);
        assert!(first_broken[1].event.is_ok());
        let documents = documents("b.jsonl", input.as_bytes());
        let at: Vec<&str> = documents.iter().map(|d| d.at.as_str()).collect();
        assert_eq!(at, ["b.jsonl:1", "b.jsonl:2", "b.jsonl:3"]);
        assert!(documents[0].event.is_ok());
        let broken = documents[1].event.as_ref().unwrap_err();
        assert!(broken.contains("EOF"), "{broken}");
        let missing = documents[2].event.as_ref().unwrap_err();
        assert!(missing.starts_with("Title: missing field"), "{missing}");
    }

    #[test]
    fn a_broken_pretty_document_is_one_error_with_its_position() {
        let pretty = FINDING.replace(r#""Title": "t","#, r#""Title": "t",,"#);
        let alone = documents("f.json", pretty.as_bytes());
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].at, "f.json");
        let error = alone[0].event.as_ref().unwrap_err();
        assert!(error.contains("line 5"), "{error}");
        // Several pretty documents: those before the break are kept, and
        // the break is reported where it starts.
        let input = format!("{FINDING}\n{pretty}\n{FINDING}");
        let documents = documents("f.json", input.as_bytes());
        let at: Vec<&str> = documents.iter().map(|d| d.at.as_str()).collect();
        assert_eq!(at, ["f.json:1", "f.json:7"]);
        assert!(documents[0].event.is_ok());
        let error = documents[1].event.as_ref().unwrap_err();
        assert!(
            error.starts_with("not JSON, and nothing after it is read"),
            "{error}"
        );
    }

    #[test]
    fn pretty_documents_one_after_the_other_are_named_by_their_first_line() {
        let second = FINDING.replace("f-1", "f-2");
        let input = format!("\u{feff}{FINDING}\n\n{second}\n");
        let documents = documents("two.json", input.as_bytes());
        assert_eq!(
            ids(&documents),
            [
                ("two.json:1".to_owned(), Some("f-1".to_owned())),
                ("two.json:8".to_owned(), Some("f-2".to_owned())),
            ]
        );
    }

    #[test]
    fn arrays_are_named_by_index_and_bad_elements_by_their_path() {
        let input = format!(
            "[{FINDING}, {}]",
            FINDING.replace(r#""Type": "AwsS3Bucket", "#, "")
        );
        let documents = documents("a.json", input.as_bytes());
        assert_eq!(documents[0].at, "a.json[0]");
        assert!(documents[0].event.is_ok());
        assert_eq!(documents[1].at, "a.json[1]");
        let error = documents[1].event.as_ref().unwrap_err();
        assert!(error.starts_with("Resources[0].Type"), "{error}");
    }

    #[test]
    fn empty_and_malformed_inputs_say_what_is_wrong() {
        for (input, expected) in [
            ("  \n", "the input is empty"),
            ("[]", "the array is empty"),
            ("[1, ", "not a JSON array"),
            ("{\"Id\": ", "EOF"),
        ] {
            let documents = documents("x", input.as_bytes());
            assert_eq!(documents.len(), 1, "{input}");
            let error = documents[0].event.as_ref().unwrap_err();
            assert!(error.contains(expected), "{input}: {error}");
        }
    }

    #[test]
    fn the_summary_counts_by_decision_and_gives_the_rate() {
        let mut summary = Summary::default();
        let finding = soar_asff::Finding::default();
        let mut pad = Scratchpad::new(finding);
        pad.decision = Some(Decision::FailedControl);
        pad.control_action = Some(ControlAction::Remediate);
        summary.count(&pad);
        summary.count(&pad);
        pad.decision = Some(Decision::SuppressFinding);
        pad.control_action = None;
        summary.count(&pad);
        summary.invalid = 1;
        summary.elapsed = Duration::from_millis(500);
        assert_eq!(
            summary.to_string(),
            "decided 3 findings in 0.50 s (6 findings/s): 2 remediate, 1 suppress_finding; 1 invalid"
        );
        assert_eq!(summary.exit_code(), 2);
        summary.failed = 1;
        assert_eq!(summary.exit_code(), 1);
    }
}
