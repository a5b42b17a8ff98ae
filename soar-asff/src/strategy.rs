//! [`proptest`](mod@proptest) strategies for findings, to test code that consumes them.
//!
//! The findings are valid ASFF as this crate reads it: every required
//! member is present and every enum holds one of its values. Optional
//! members come and go, explicit `null`s appear, and unknown members are
//! added at several levels, so a consumer that drops what it does not
//! understand is caught.
//!
//! ```
//! use proptest::prelude::*;
//! use soar_asff::{strategy::arb_finding, Finding};
//!
//! proptest! {
//!     // In your tests, put `#[test]` here.
//!     fn control_id_is_never_empty(finding in arb_finding()) {
//!         prop_assert_ne!(finding.control_id(), Some(""));
//!     }
//! }
//! # control_id_is_never_empty();
//! ```

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{Number, Value};

use crate::{AssociatedStandard, AwsS3BucketDetails, PublicAccessBlockConfiguration};
use crate::{
    Compliance, ComplianceStatus, Extra, Finding, FindingProviderFields, Malware, Network, Note,
    PortRange, Recommendation, RecordState, Remediation, Resource, ResourceDetails, Severity,
    SeverityLabel, StatusReason, VerificationState, Workflow, WorkflowState, WorkflowStatus,
};

/// The first difference between two JSON documents, as `path: what`, or
/// `None` when they are JSON-equal: numbers compared by value (`2` equals
/// `2.0`), objects regardless of member order.
///
/// This is the equality a lossless round trip promises, so a test of your
/// own conversion can use it on whole documents:
///
/// ```
/// use serde_json::json;
/// use soar_asff::strategy::json_difference;
///
/// let read = json!({"Severity": {"Product": 8}, "Id": "x"});
/// let written = json!({"Id": "x", "Severity": {"Product": 8.0}});
/// assert_eq!(json_difference(&read, &written), None);
/// let lossy = json!({"Id": "x", "Severity": {}});
/// assert_eq!(
///     json_difference(&read, &lossy).as_deref(),
///     Some("$.Severity.Product: missing on the right")
/// );
/// ```
pub fn json_difference(left: &Value, right: &Value) -> Option<String> {
    difference_at(left, right, "$")
}

fn difference_at(left: &Value, right: &Value, path: &str) -> Option<String> {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => {
            let same = match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => a.as_f64() == b.as_f64(),
            };
            (!same).then(|| format!("{path}: {a} != {b}"))
        }
        (Value::Object(a), Value::Object(b)) => a.keys().chain(b.keys()).find_map(|key| {
            let child = format!("{path}.{key}");
            match (a.get(key), b.get(key)) {
                (Some(x), Some(y)) => difference_at(x, y, &child),
                (Some(_), None) => Some(format!("{child}: missing on the right")),
                (None, _) => Some(format!("{child}: missing on the left")),
            }
        }),
        (Value::Array(a), Value::Array(b)) if a.len() != b.len() => {
            Some(format!("{path}: length {} != {}", a.len(), b.len()))
        }
        (Value::Array(a), Value::Array(b)) => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| difference_at(x, y, &format!("{path}[{i}]"))),
        _ => (left != right).then(|| format!("{path}: {left} != {right}")),
    }
}

/// Short printable text, including non-ASCII and characters JSON escapes.
pub fn arb_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ./:_\\-\"\\\\é漢🔒\n\t]{0,24}"
}

/// A 12-digit AWS account ID.
pub fn arb_account_id() -> impl Strategy<Value = String> {
    "[0-9]{12}"
}

/// An ASFF timestamp.
pub fn arb_timestamp() -> impl Strategy<Value = String> {
    (
        2018u32..2030,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..1000,
    )
        .prop_map(|(y, mo, d, h, mi, ms)| format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:00.{ms:03}Z"))
}

/// A JSON number as producers write them: integers, negative integers and
/// decimals, so that `8` and `8.0` are both exercised.
pub fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<u32>().prop_map(Number::from),
        any::<i32>().prop_map(Number::from),
        (-1.0e9f64..1.0e9).prop_filter_map("finite", Number::from_f64),
    ]
}

/// Arbitrary JSON, nested a few levels deep.
pub fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number().prop_map(Value::Number),
        arb_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Members no version of ASFF defines, to check they survive. The `x-`
/// prefix keeps them clear of real member names.
pub fn arb_extra() -> impl Strategy<Value = Extra> {
    btree_map("x-[a-zA-Z]{1,8}", arb_json(), 0..3).prop_map(|map| map.into_iter().collect())
}

fn arb_string_map() -> impl Strategy<Value = BTreeMap<String, String>> {
    btree_map("[a-zA-Z:/._]{1,16}", arb_text(), 0..4)
}

fn arb_enum<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(all)
}

/// A `Severity` with any combination of its members.
pub fn arb_severity() -> impl Strategy<Value = Severity> {
    (
        option::of(arb_enum(SeverityLabel::ALL)),
        option::of(0i32..=100),
        option::of(arb_text()),
        option::of(arb_number()),
        arb_extra(),
    )
        .prop_map(|(label, normalized, original, product, extra)| Severity {
            label,
            normalized,
            original,
            product,
            extra,
        })
}

/// A `Compliance` member.
pub fn arb_compliance() -> impl Strategy<Value = Compliance> {
    (
        option::of(arb_enum(ComplianceStatus::ALL)),
        option::of(vec(arb_text(), 0..3)),
        option::of(vec(
            (arb_text(), option::of(arb_text())).prop_map(|(code, description)| StatusReason {
                reason_code: code,
                description,
                extra: Extra::new(),
            }),
            0..2,
        )),
        option::of("[A-Z][A-Za-z]{1,10}\\.[0-9]{1,2}"),
        option::of(vec(
            option::of(arb_text()).prop_map(|standards_id| AssociatedStandard {
                standards_id,
                extra: Extra::new(),
            }),
            0..2,
        )),
        arb_extra(),
    )
        .prop_map(
            |(status, related, reasons, control, standards, extra)| Compliance {
                status,
                related_requirements: related,
                status_reasons: reasons,
                security_control_id: control,
                associated_standards: standards,
                security_control_parameters: None,
                extra,
            },
        )
}

/// A resource, sometimes with typed and untyped details.
pub fn arb_resource() -> impl Strategy<Value = Resource> {
    let details = (
        option::of(
            (
                option::of(arb_text()),
                option::of(any::<bool>()),
                arb_extra(),
            )
                .prop_map(|(name, block, extra)| AwsS3BucketDetails {
                    name,
                    public_access_block_configuration: block.map(|b| {
                        PublicAccessBlockConfiguration {
                            block_public_acls: Some(b),
                            ignore_public_acls: Some(!b),
                            ..PublicAccessBlockConfiguration::default()
                        }
                    }),
                    extra,
                    ..AwsS3BucketDetails::default()
                }),
        ),
        option::of(arb_string_map()),
        btree_map("Aws[A-Z][a-z]{2,10}Future", arb_json(), 0..2),
    )
        .prop_map(|(bucket, other, untyped)| ResourceDetails {
            aws_s3_bucket: bucket.map(Box::new),
            other,
            extra: untyped.into_iter().collect(),
            ..ResourceDetails::default()
        });
    (
        "Aws[A-Z][a-zA-Z0-9]{2,20}",
        prop_oneof![
            (arb_account_id(), "[a-z0-9-]{1,20}")
                .prop_map(|(account, name)| format!("arn:aws:iam::{account}:role/{name}")),
            "[a-z0-9-]{1,20}".prop_map(|bucket| format!("arn:aws:s3:::{bucket}")),
            arb_text(),
        ],
        option::of(prop_oneof![
            Just("aws".to_owned()),
            Just("aws-cn".to_owned())
        ]),
        option::of("[a-z]{2}-[a-z]{4,7}-[1-3]"),
        option::of(arb_string_map()),
        option::of(details),
        arb_extra(),
    )
        .prop_map(
            |(resource_type, id, partition, region, tags, details, extra)| Resource {
                resource_type,
                id,
                partition,
                region,
                tags,
                details,
                extra,
                ..Resource::default()
            },
        )
}

/// A valid finding, with optional members present or absent at random and
/// unknown members at several levels.
pub fn arb_finding() -> impl Strategy<Value = Finding> {
    let required = (
        arb_text(),
        arb_text(),
        arb_text(),
        arb_account_id(),
        // Optional in the API model: absent, empty or filled.
        option::of(vec(arb_text(), 0..3)),
        arb_timestamp(),
        arb_timestamp(),
        option::of(arb_severity()),
        arb_text(),
        arb_text(),
        vec(arb_resource(), 1..3),
    );
    let optional = (
        option::of(arb_text()),
        option::of("[a-z]{2}-[a-z]{4,7}-[1-3]"),
        option::of(0i32..=100),
        option::of(arb_compliance()),
        option::of(arb_enum(WorkflowStatus::ALL)),
        option::of(arb_enum(RecordState::ALL)),
        option::of(arb_enum(WorkflowState::ALL)),
        option::of(arb_enum(VerificationState::ALL)),
        option::of(arb_string_map()),
        option::of(arb_string_map()),
        option::of((arb_text(), arb_text(), arb_timestamp())),
        option::of((option::of(arb_text()), option::of(arb_text()))),
    );
    let threat = (
        option::of(vec(arb_text(), 1..3)),
        option::of((option::of(0i32..65536), option::of(0i32..65536))),
        option::of(any::<bool>()),
        option::of(arb_severity()),
        arb_extra(),
        // Optional members written as explicit nulls.
        proptest::sample::subsequence(vec!["Note", "Network", "SourceUrl", "Sample"], 0..=2),
    );
    (arb_text(), required, optional, threat).prop_map(|(schema, required, optional, threat)| {
        let (
            id,
            product_arn,
            generator_id,
            account,
            types,
            created,
            updated,
            severity,
            title,
            description,
            resources,
        ) = required;
        let (
            product_name,
            region,
            confidence,
            compliance,
            workflow,
            record_state,
            workflow_state,
            verification_state,
            product_fields,
            user_defined_fields,
            note,
            recommendation,
        ) = optional;
        let (malware, ports, sample, provider_severity, mut extra, nulls) = threat;
        let note = note.map(|(text, by, at)| Note {
            text,
            updated_by: by,
            updated_at: at,
            extra: Extra::new(),
        });
        for member in nulls {
            let typed_is_set = match member {
                "Note" => note.is_some(),
                "Sample" => sample.is_some(),
                _ => ports.is_some() && member == "Network",
            };
            if !typed_is_set {
                extra.insert(member.to_owned(), Value::Null);
            }
        }
        Finding {
            schema_version: schema,
            id,
            product_arn,
            product_name,
            region,
            generator_id,
            aws_account_id: account,
            types,
            created_at: created,
            updated_at: updated,
            severity,
            confidence,
            title,
            description,
            remediation: recommendation.map(|(text, url)| Remediation {
                recommendation: Some(Recommendation {
                    text,
                    url,
                    extra: Extra::new(),
                }),
                extra: Extra::new(),
            }),
            product_fields,
            user_defined_fields,
            malware: malware.map(|names| {
                names
                    .into_iter()
                    .map(|name| Malware {
                        name,
                        ..Malware::default()
                    })
                    .collect()
            }),
            network: ports.map(|(source, destination)| Network {
                source_port: source,
                destination_port: destination,
                open_port_range: Some(PortRange {
                    begin: source,
                    end: destination,
                    extra: Extra::new(),
                }),
                ..Network::default()
            }),
            resources,
            compliance,
            verification_state,
            workflow_state,
            workflow: workflow.map(|status| Workflow {
                status: Some(status),
                extra: Extra::new(),
            }),
            record_state,
            note,
            finding_provider_fields: provider_severity.map(|severity| FindingProviderFields {
                severity: Some(severity),
                ..FindingProviderFields::default()
            }),
            sample,
            extra,
            ..Finding::default()
        }
    })
}
