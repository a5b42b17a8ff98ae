//! `LazyEvent` and `LazyFinding` agree with `Event::parse` and `Finding`:
//! the same findings, the same errors, the same answers from the view, and
//! the checker accepts exactly what the parser accepts (were it ever to
//! accept more, building the finding later would fail).

use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use soar_asff::strategy::arb_finding;
use soar_asff::{
    Event, EventKind, Finding, FindingView, LazyEvent, LazyFinding, PRODUCT_FIELDS,
    SECURITY_HUB_IMPORTED, USER_DEFINED_FIELDS,
};

/// Every answer of two views, side by side: first what a `LazyFinding`
/// reads in place, then what it builds the finding for.
fn assert_views_agree(lazy: FindingView<'_>, typed: FindingView<'_>) {
    assert_read_in_place_agree(lazy, typed);
    for name in ["aws/securityhub/ProductName", "x-other"] {
        assert_eq!(
            lazy.product_field(name),
            typed.product_field(name),
            "{name}"
        );
    }
    assert_eq!(
        lazy.user_defined_field("owner"),
        typed.user_defined_field("owner")
    );
    let resources = |view: FindingView<'_>| -> Vec<_> {
        view.resources()
            .map(|r| {
                (
                    r.resource_type().to_owned(),
                    r.id().to_owned(),
                    r.region().map(str::to_owned),
                    r.account_id().map(str::to_owned),
                    r.tags().cloned(),
                )
            })
            .collect()
    };
    assert_eq!(resources(lazy), resources(typed));
}

/// The answers a `LazyFinding` gives without building the finding.
fn assert_read_in_place_agree(lazy: FindingView<'_>, typed: FindingView<'_>) {
    assert_eq!(lazy.id(), typed.id());
    assert_eq!(lazy.product_arn(), typed.product_arn());
    assert_eq!(lazy.generator_id(), typed.generator_id());
    assert_eq!(lazy.aws_account_id(), typed.aws_account_id());
    assert_eq!(lazy.region(), typed.region());
    assert_eq!(lazy.first_type(), typed.first_type());
    assert_eq!(lazy.severity_label(), typed.severity_label());
    assert_eq!(lazy.normalized_severity(), typed.normalized_severity());
    assert_eq!(lazy.compliance_status(), typed.compliance_status());
    assert_eq!(lazy.security_control_id(), typed.security_control_id());
    assert_eq!(lazy.workflow_status(), typed.workflow_status());
    assert_eq!(lazy.record_state(), typed.record_state());
    assert_eq!(lazy.control_id(), typed.control_id());
    assert_eq!(lazy.resource_account_id(), typed.resource_account_id());
    assert_eq!(lazy.resource_region(), typed.resource_region());
    assert_eq!(lazy.has_valid_account_id(), typed.has_valid_account_id());
    for name in PRODUCT_FIELDS {
        assert_eq!(
            lazy.product_field(name),
            typed.product_field(name),
            "{name}"
        );
    }
    for name in USER_DEFINED_FIELDS {
        assert_eq!(
            lazy.user_defined_field(name),
            typed.user_defined_field(name),
            "{name}"
        );
    }
    let resources = |view: FindingView<'_>| -> Vec<_> {
        view.resources()
            .map(|r| {
                (
                    r.resource_type().to_owned(),
                    r.id().to_owned(),
                    r.region().map(str::to_owned),
                    r.account_id().map(str::to_owned),
                )
            })
            .collect()
    };
    assert_eq!(resources(lazy), resources(typed));
    let primary_tags =
        |view: FindingView<'_>| view.primary_resource().and_then(|r| r.tags()).cloned();
    assert_eq!(primary_tags(lazy), primary_tags(typed));
}

/// The text of each finding of an event, as serde_json delimits it.
fn finding_texts(event: &str) -> Vec<String> {
    let envelope: HashMap<&str, &RawValue> = serde_json::from_str(event).unwrap();
    let detail: HashMap<&str, &RawValue> = serde_json::from_str(envelope["detail"].get()).unwrap();
    let findings: Vec<&RawValue> = serde_json::from_str(detail["findings"].get()).unwrap();
    findings.iter().map(|f| f.get().to_owned()).collect()
}

/// The findings of a lazily parsed event that must be read in place.
fn lazy_findings(bytes: &[u8]) -> Vec<LazyFinding> {
    match LazyEvent::parse(bytes).unwrap() {
        LazyEvent::Findings { findings, .. } => findings,
        other => panic!("not findings: {other:?}"),
    }
}

/// What goes where a mutated member was: values of every JSON type, and
/// the JSON that `serde_json::Value` refuses but a skimming reader takes
/// (a number beyond `f64`, a lone surrogate).
const JUNK: &[&str] = &[
    "null",
    "true",
    "7",
    "-3",
    "2.5",
    "1e400",
    r#""text""#,
    r#""\ud800""#,
    "[]",
    r#"[1, "a"]"#,
    "{}",
    r#"{"a": 1}"#,
];

/// Every place in `value`: a JSON pointer per member and element.
fn places(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.push(here.clone());
                places(member, here, out);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let here = format!("{at}/{index}");
                out.push(here.clone());
                places(item, here, out);
            }
        }
        _ => {}
    }
}

/// `finding` as JSON text with one change at one place: a member or
/// element replaced by `junk`, a member removed, or a member given twice.
fn mutated(finding: &Finding, place: prop::sample::Index, change: usize, junk: &str) -> String {
    const MARK: &str = "\u{1}mutation\u{1}";
    let mut value = finding.to_value().unwrap();
    let mut all = Vec::new();
    places(&value, String::new(), &mut all);
    let at = &all[place.index(all.len())];
    let (parent, last) = at.rsplit_once('/').unwrap();
    let key = last.replace("~1", "/").replace("~0", "~");
    match (change % 3, value.pointer_mut(parent)) {
        (0, Some(Value::Object(map))) => {
            map.remove(&key);
        }
        (1, Some(Value::Object(map))) => {
            let copy = map[&key].clone();
            map.insert(MARK.to_owned(), copy);
            let text = serde_json::to_string(&value).unwrap();
            let mark = serde_json::to_string(MARK).unwrap();
            return text.replace(&mark, &serde_json::to_string(&key).unwrap());
        }
        _ => {
            if let Some(slot) = value.pointer_mut(at) {
                *slot = Value::String(MARK.to_owned());
            }
        }
    }
    let text = serde_json::to_string(&value).unwrap();
    text.replace(&serde_json::to_string(MARK).unwrap(), junk)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn the_findings_of_an_event_are_read_in_place_as_they_are(
        findings in proptest::collection::vec(arb_finding(), 1..4),
        pretty in any::<bool>(),
        after_findings in any::<bool>(),
        after_detail in any::<bool>(),
    ) {
        // Members in the order AWS writes them: `detail-type` before
        // `detail` (a `json!` map would sort them the other way).
        let write = |value: &Value| if pretty {
            serde_json::to_string_pretty(value).unwrap()
        } else {
            serde_json::to_string(value).unwrap()
        };
        let mut detail = format!(r#"{{"findings": {}"#, write(&json!(findings)));
        if after_findings {
            detail.push_str(r#", "actionName": "send-to-soar""#);
        }
        let mut text = format!(
            r#"{{"version": "0", "id": "e-1", "detail-type": "{SECURITY_HUB_IMPORTED}",
            "source": "aws.securityhub", "account": "111122223333",
            "time": "2026-01-01T00:00:00Z", "region": "eu-west-1", "resources": [],
            "detail": {detail}}}"#
        );
        if after_detail {
            text.push_str(r#", "x-debug": {"by": "a tool that adds members"}"#);
        }
        text.push_str("}\n");
        let lazy = lazy_findings(text.as_bytes());
        let texts = finding_texts(&text);
        prop_assert_eq!(lazy.len(), findings.len());
        for ((lazy, finding), text) in lazy.iter().zip(&findings).zip(&texts) {
            prop_assert!(!lazy.is_built(), "read in place");
            prop_assert_eq!(lazy.json(), Some(text.as_str()));
            assert_read_in_place_agree(lazy.view(), finding.view());
            prop_assert!(!lazy.is_built(), "reading what deciding reads builds nothing");
            // Written back verbatim when on one line, else JSON-equal.
            let written = serde_json::to_string(lazy).unwrap();
            if pretty {
                prop_assert!(!written.contains('\n'));
                prop_assert_eq!(
                    serde_json::from_str::<Value>(&written).unwrap(),
                    serde_json::from_str::<Value>(text).unwrap()
                );
            } else {
                prop_assert_eq!(&written, text);
            }
            prop_assert_eq!(&**lazy, finding);
            prop_assert!(lazy.is_built());
            assert_views_agree(lazy.view(), finding.view());
        }
    }

    #[test]
    fn the_checker_accepts_exactly_what_the_parser_accepts(
        finding in arb_finding(),
        place in any::<prop::sample::Index>(),
        change in 0usize..3,
        junk in proptest::sample::select(JUNK),
    ) {
        let text = mutated(&finding, place, change, junk);
        let typed = Finding::from_str(&text);
        match LazyFinding::from_json(&text) {
            Ok(lazy) => {
                let typed = typed.map_err(|e| TestCaseError::fail(format!(
                    "the checker took what the parser refuses ({e}): {text}"
                )))?;
                prop_assert!(!lazy.is_built(), "the checker refused what the parser takes: {}", text);
                prop_assert_eq!(&*lazy, &typed);
                assert_views_agree(lazy.view(), typed.view());
            }
            Err(error) => {
                let typed = typed.err().map(|e| e.to_string());
                prop_assert_eq!(Some(error.to_string()), typed);
            }
        }
        // In an event, too, with the same errors.
        let event = format!(
            r#"{{"version":"0","detail-type":"{SECURITY_HUB_IMPORTED}","detail":{{"findings":[{text}]}}}}"#
        );
        let lazy = LazyEvent::parse(event.as_bytes()).map_err(|e| e.to_string());
        let parsed = Event::parse(event.as_bytes()).map_err(|e| e.to_string());
        match (lazy, parsed) {
            (Ok(LazyEvent::Findings { findings, .. }), Ok(parsed)) => {
                prop_assert_eq!(findings.len(), 1);
                prop_assert_eq!(&*findings[0], &parsed.findings()[0]);
            }
            (lazy, parsed) => prop_assert_eq!(lazy.err(), parsed.err()),
        }
    }

    #[test]
    fn a_bare_finding_is_read_in_place(finding in arb_finding()) {
        let text = finding.to_json().unwrap();
        let LazyEvent::Findings { kind, findings } = LazyEvent::parse(text.as_bytes()).unwrap() else {
            panic!("a bare finding");
        };
        prop_assert_eq!(kind, EventKind::Finding);
        prop_assert!(!findings[0].is_built());
        prop_assert_eq!(findings[0].json(), Some(text.as_str()));
        prop_assert_eq!(&*findings[0], &finding);
    }
}

fn event_with(findings: &str, detail_type_first: bool) -> String {
    let header =
        format!(r#""detail-type": "{SECURITY_HUB_IMPORTED}", "source": "aws.securityhub""#);
    let detail = format!(r#""detail": {{"findings": {findings}}}"#);
    if detail_type_first {
        format!("{{{header}, {detail}}}")
    } else {
        format!("{{{detail}, {header}}}")
    }
}

const FINDING: &str = r#"{"SchemaVersion": "2018-10-08", "Id": "f-1",
    "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
    "GeneratorId": "security-control/S3.8", "AwsAccountId": "111122223333",
    "CreatedAt": "2026-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:00Z",
    "Title": "t", "Description": "d",
    "ProductFields": {"ControlId": "S3.9", "ControlId": "S3.8"},
    "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::b", "Tags": {"team": "data"}},
                  {"Type": "AwsAccount", "Id": "AWS::::Account:111122223333", "Tags": {"a": "b"}}]}"#;

#[test]
fn what_the_fast_path_does_not_take_is_parsed_as_event_parse_parses_it() {
    let escaped_first_key = FINDING.replacen(r#""SchemaVersion""#, r#""Schema\u0056ersion""#, 1);
    let typed = Event::parse(event_with(&format!("[{FINDING}]"), true).as_bytes()).unwrap();
    for input in [
        event_with(&format!("[{FINDING}]"), false),
        event_with(&format!("[{escaped_first_key}]"), true),
    ] {
        let findings = lazy_findings(input.as_bytes());
        assert_eq!(&*findings[0], &typed.findings()[0], "{input}");
    }
    // Built, because the fast path did not take them; but still right.
    let detail_first = lazy_findings(event_with(&format!("[{FINDING}]"), false).as_bytes());
    assert!(detail_first[0].is_built());
    let none = lazy_findings(event_with("[]", true).as_bytes());
    assert!(none.is_empty());
}

#[test]
fn the_view_reads_what_a_map_keeps_and_builds_the_finding_for_the_rest() {
    let lazy = LazyFinding::from_json(FINDING).unwrap();
    // A member given twice in a map: the last one, as a map keeps it.
    assert_eq!(lazy.view().control_id(), Some("S3.8"));
    assert_eq!(
        lazy.view().primary_resource().and_then(|r| r.tag("team")),
        Some("data")
    );
    assert!(!lazy.is_built());
    // Not read in place: the finding is built to answer.
    let second = lazy.view().resources().nth(1).unwrap();
    assert_eq!(second.tag("a"), Some("b"));
    assert!(lazy.is_built());
    assert_eq!(lazy.view().product_field("Other"), None);
}

#[test]
fn a_finding_is_written_as_it_came_on_one_line_and_as_changed_once_changed() {
    let one_line = FINDING.split_whitespace().collect::<Vec<_>>().join(" ");
    let lazy = LazyFinding::from_json(&one_line).unwrap();
    assert_eq!(serde_json::to_string(&lazy).unwrap(), one_line);
    // Several lines: written on one, JSON-equal.
    let mut lazy = LazyFinding::from_json(FINDING).unwrap();
    let written = serde_json::to_string(&lazy).unwrap();
    assert!(!written.contains('\n'));
    assert_eq!(
        serde_json::from_str::<Value>(&written).unwrap(),
        serde_json::from_str::<Value>(&one_line).unwrap()
    );
    lazy.title = "changed".into();
    assert_eq!(lazy.json(), None);
    let written: Value = serde_json::to_value(&lazy).unwrap();
    assert_eq!(written["Title"], "changed");
    assert_eq!(lazy.view().control_id(), Some("S3.8"));
}

#[test]
fn a_bare_finding_with_envelope_members_is_taken_as_event_parse_takes_it() {
    let with = |member: &str| FINDING.replacen('{', &format!("{{{member}, "), 1);
    for member in [
        r#""source": "aws.securityhub""#,
        r#""version": 5"#,
        r#""time": 1700000000"#,
        r#""account": "111122223333""#,
    ] {
        let bytes = with(member);
        let lazy = LazyEvent::parse(bytes.as_bytes());
        let typed = Event::parse(bytes.as_bytes());
        match (lazy, typed) {
            (Ok(LazyEvent::Findings { findings, .. }), Ok(typed)) => {
                assert_eq!(&*findings[0], &typed.findings()[0], "{member}")
            }
            (Err(lazy), Err(typed)) => assert_eq!(lazy.to_string(), typed.to_string()),
            (lazy, typed) => panic!("{member}: {lazy:?} but {typed:?}"),
        }
    }
}

#[test]
fn other_events_are_parsed_as_event_parse_parses_them() {
    let alarm = br#"{"detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
        "detail": {"alarmName": "INFRA-Api-Errors-HIGH", "state": {"value": "ALARM"}}}"#;
    let LazyEvent::Other(event) = LazyEvent::parse(alarm).unwrap() else {
        panic!("an alarm is no ASFF finding");
    };
    assert_eq!(*event, Event::parse(alarm).unwrap());
    let error = LazyEvent::parse(b"{\"detail-type\": 5}").unwrap_err();
    assert_eq!(
        error.to_string(),
        Event::parse(b"{\"detail-type\": 5}")
            .unwrap_err()
            .to_string()
    );
}
