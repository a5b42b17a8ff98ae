//! Bad input is an error that names the JSON path, never a panic.

use proptest::prelude::*;
use serde_json::{json, Value};
use soar_asff::{Error, Event, Finding, JsonErrorKind};

use crate::assert_json_eq;

/// A failed S3.8 control finding, in the shape Security Hub writes them.
/// (The published fixtures are tested in the workspace's `tests/`; this
/// crate's tests run from its own package.)
fn sample() -> Value {
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": "arn:aws:securityhub:us-east-1:111122223333:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.8/finding/0d1c2b3a",
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
        "GeneratorId": "aws-foundational-security-best-practices/v/1.0.0/S3.8",
        "AwsAccountId": "111122223333",
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices"],
        "CreatedAt": "2026-11-02T10:00:00.000Z",
        "UpdatedAt": "2026-11-02T10:00:00.000Z",
        "Severity": {"Product": 70, "Label": "HIGH", "Normalized": 70, "Original": "HIGH"},
        "Title": "S3.8 S3 Block Public Access setting should be enabled at the bucket level",
        "Description": "This control checks whether S3 buckets have bucket-level public access blocks applied.",
        "ProductFields": {"ControlId": "S3.8", "aws/securityhub/ProductName": "Security Hub"},
        "Resources": [{
            "Type": "AwsS3Bucket",
            "Id": "arn:aws:s3:::example-bucket",
            "Partition": "aws",
            "Region": "us-east-1",
            "Details": {"AwsS3Bucket": {"OwnerId": "abc123", "CreatedAt": "2026-01-01T00:00:00.000Z"}}
        }],
        "Compliance": {"Status": "FAILED"},
        "WorkflowState": "NEW",
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE"
    })
}

/// An imported-findings event carrying [`sample`].
fn sample_event() -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({
        "version": "0", "id": "5d9d4b4e-0000-4000-8000-000000000000",
        "detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub",
        "account": "111122223333", "time": "2026-11-02T10:00:01Z", "region": "us-east-1",
        "resources": [], "detail": {"findings": [sample()]},
    }))
    .unwrap()
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
    fn corrupting_one_byte_of_an_event_never_panics(
        index in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = sample_event();
        let at = index.index(bytes.len());
        bytes[at] = byte;
        if let Err(error) = Event::parse(&bytes) {
            prop_assert!(!error.to_string().is_empty());
        }
    }
}
