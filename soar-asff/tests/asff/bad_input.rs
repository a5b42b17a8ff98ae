//! Bad input is an error that names the JSON path, never a panic.

use proptest::prelude::*;
use serde_json::{json, Value};
use soar_asff::{Error, Event, Finding, JsonErrorKind};

use crate::support::{assert_json_eq, fixtures, testdata};

fn sample() -> Value {
    let bytes = std::fs::read(testdata().join("asff/securityhub-fsbp-s3-8-failed.json")).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Parses `value` as a finding and returns the error's path and message.
fn finding_error(value: &Value) -> (String, String) {
    let bytes = serde_json::to_vec_pretty(value).unwrap();
    let error = Finding::from_slice(&bytes).unwrap_err();
    let path = error.path().unwrap().to_owned();
    let message = error.to_string();
    assert!(
        message.starts_with(&path),
        "message does not name the path: {message}"
    );
    (path, message)
}

/// The members the Security Hub API model requires of a finding.
const REQUIRED: [&str; 10] = [
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "CreatedAt",
    "UpdatedAt",
    "Title",
    "Description",
    "Resources",
];

#[test]
fn missing_required_members_are_named() {
    for member in REQUIRED {
        let mut finding = sample();
        finding.as_object_mut().unwrap().remove(member);
        let (path, message) = finding_error(&finding);
        assert_eq!(path, member);
        assert!(message.contains("missing field"), "{message}");
    }
}

#[test]
fn a_finding_with_only_the_required_members_is_valid_and_stays_that_way() {
    let mut finding = sample();
    let object = finding.as_object_mut().unwrap();
    object.retain(|member, _| REQUIRED.contains(&member.as_str()));
    let bytes = serde_json::to_vec(&finding).unwrap();
    let parsed = Finding::from_slice(&bytes).unwrap();
    assert_eq!(parsed.types, None);
    assert!(parsed.types().is_empty());
    assert_eq!(parsed.severity, None);
    assert_eq!(parsed.severity_label(), None);
    // Absent members stay absent; an empty `Types` stays empty.
    let written: Value = serde_json::from_str(&parsed.to_json().unwrap()).unwrap();
    assert_json_eq("required only", &finding, &written);
    finding["Types"] = json!([]);
    let parsed = Finding::from_slice(&serde_json::to_vec(&finding).unwrap()).unwrap();
    assert_eq!(parsed.types, Some(Vec::new()));
    let written: Value = serde_json::from_str(&parsed.to_json().unwrap()).unwrap();
    assert_json_eq("empty Types", &finding, &written);
}

#[test]
fn missing_nested_member_path_includes_the_index() {
    let mut finding = sample();
    finding["Resources"][0]
        .as_object_mut()
        .unwrap()
        .remove("Id");
    assert_eq!(finding_error(&finding).0, "Resources[0].Id");
}

#[test]
fn wrong_types_are_named() {
    let cases = [
        ("/Id", json!(42), "Id"),
        ("/Types", json!("not a list"), "Types"),
        ("/Severity/Normalized", json!("high"), "Severity.Normalized"),
        ("/Resources/0/Tags", json!(["a"]), "Resources[0].Tags"),
        ("/ProductFields", json!({"Count": 3}), "ProductFields.Count"),
        (
            "/Resources/0/Details",
            json!({"AwsS3Bucket": {"Name": 5}}),
            "Resources[0].Details.AwsS3Bucket.Name",
        ),
    ];
    for (pointer, bad, expected) in cases {
        let mut finding = sample();
        if let Some(slot) = finding.pointer_mut(pointer) {
            *slot = bad;
        } else {
            let (parent, member) = pointer.rsplit_once('/').unwrap();
            finding.pointer_mut(parent).unwrap()[member] = bad;
        }
        let (path, message) = finding_error(&finding);
        assert_eq!(path, expected, "{message}");
        assert!(message.contains("invalid type"), "{message}");
    }
}

#[test]
fn wrong_enum_values_are_named_with_the_allowed_values() {
    let cases = [
        ("Severity", "Label", "SEVERE", "Severity.Label"),
        ("Compliance", "Status", "BROKEN", "Compliance.Status"),
        ("Workflow", "Status", "DONE", "Workflow.Status"),
    ];
    for (object, member, bad, expected) in cases {
        let mut finding = sample();
        finding[object][member] = json!(bad);
        let (path, message) = finding_error(&finding);
        assert_eq!(path, expected);
        assert!(
            message.contains("unknown variant") && message.contains(bad),
            "{message}"
        );
    }
    let mut finding = sample();
    finding["RecordState"] = json!("DELETED");
    assert_eq!(finding_error(&finding).0, "RecordState");
}

#[test]
fn duplicate_members_are_rejected() {
    let error = Finding::from_str(r#"{"Id": "a", "Id": "b"}"#).unwrap_err();
    assert!(
        error.to_string().contains("duplicate field `Id`"),
        "{error}"
    );
    let error = Finding::from_str(r#"{"Future": 1, "Future": 2}"#).unwrap_err();
    assert!(
        error.to_string().contains("duplicate member `Future`"),
        "{error}"
    );
}

#[test]
fn envelope_errors_are_named_from_the_envelope_root() {
    let mut finding = sample();
    finding["Severity"]["Label"] = json!("SEVERE");
    let in_order = json!({
        "version": "0", "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub", "detail": {"findings": [{}, finding]},
    });
    let error = Event::parse(&serde_json::to_vec(&in_order).unwrap()).unwrap_err();
    assert_eq!(error.path(), Some("detail.findings[0].SchemaVersion"));

    // detail before detail-type: the detail is converted after the first pass.
    let reordered = format!(
        r#"{{"detail": {{"findings": [{finding}]}}, "detail-type": "Security Hub Findings - Imported"}}"#
    );
    let error = Event::parse(reordered.as_bytes()).unwrap_err();
    assert_eq!(error.path(), Some("detail.findings[0].Severity.Label"));
}

#[test]
fn json_that_is_not_an_event_is_unrecognised() {
    for input in [
        r#"{}"#,
        r#"{"foo": 1}"#,
        r#"{"detail-type": "X", "source": "y"}"#,
    ] {
        let error = Event::parse(input.as_bytes()).unwrap_err();
        assert!(
            matches!(error, Error::UnrecognisedEvent { .. }),
            "{input}: {error}"
        );
    }
    let error = Event::parse(b"[1, 2]").unwrap_err();
    assert_eq!(error.path(), Some("."));
}

#[test]
fn nonconforming_fixtures_are_rejected_at_the_offending_member() {
    let expected = [
        // Severity.Original is a number in both FindingProviderFields and
        // Severity; the first in document order is reported.
        (
            "securityhub-cli-pci-lambda-2-passed-archived.json",
            "FindingProviderFields.Severity.Original",
        ),
        (
            "thirdparty-trivy-container-cve-2020-numeric-accountid.json",
            "AwsAccountId",
        ),
    ];
    let files = fixtures("asff-nonconforming");
    assert_eq!(
        files.len(),
        expected.len(),
        "a nonconforming fixture has no expectation"
    );
    for (name, bytes) in files {
        let (_, path) = expected.iter().find(|(file, _)| *file == name).unwrap();
        match Finding::from_slice(&bytes) {
            Err(error) => {
                assert_eq!(error.path(), Some(*path), "{name}: {error}");
                assert!(
                    error.to_string().contains("invalid type"),
                    "{name}: {error}"
                );
            }
            // Accepting would be fine only if nothing were lost.
            Ok(finding) => {
                let original: Value = serde_json::from_slice(&bytes).unwrap();
                assert_json_eq(&name, &original, &finding.to_value().unwrap());
            }
        }
    }
}

#[test]
fn every_truncation_of_real_input_is_an_eof_error() {
    let mut inputs = fixtures("eventbridge");
    inputs.truncate(6);
    for (name, bytes) in inputs {
        let end = bytes.iter().rposition(|b| *b == b'}').unwrap();
        for cut in (1..end).step_by(7) {
            let error = Event::parse(&bytes[..cut]).unwrap_err();
            let Error::Json(json) = &error else {
                panic!("{name} cut at {cut}: {error}");
            };
            assert!(
                matches!(json.kind, JsonErrorKind::Eof | JsonErrorKind::Syntax),
                "{name} cut at {cut}: {error}"
            );
            assert!(json.line > 0, "{name} cut at {cut}: no line in {error}");
        }
    }
}

#[test]
fn error_reports_line_and_column() {
    let error = Finding::from_str("{\n  \"Title\": \"x\" \"Id\"\n}").unwrap_err();
    let Error::Json(json) = error else {
        panic!("{error}")
    };
    assert_eq!((json.line, json.kind), (2, JsonErrorKind::Syntax));
    assert!(json.column > 0);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Event::parse(&bytes);
        let _ = Finding::from_slice(&bytes);
    }

    #[test]
    fn corrupting_one_byte_of_a_real_event_never_panics(
        index in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let path = testdata().join("eventbridge/securityhub-custom-action-guardduty-eks.json");
        let mut bytes = std::fs::read(path).unwrap();
        let at = index.index(bytes.len());
        bytes[at] = byte;
        if let Err(error) = Event::parse(&bytes) {
            prop_assert!(!error.to_string().is_empty());
        }
    }
}
