//! Deciding on a finding without building it: [`FindingView`] and
//! [`LazyFinding`].
//!
//! A SOAR reads a dozen members of a finding to decide what it needs (its
//! IDs, severity, compliance, workflow, control ID, primary resource) and
//! writes the whole finding back out, to the next Step Functions state or to
//! a file. Building the owned [`Finding`] to do that allocates every string
//! of the document and frees it again, which is most of the cost of deciding.
//!
//! [`LazyFinding`] keeps a finding as the JSON it came in. Making one checks
//! the JSON against the whole typed model, in one pass that allocates
//! nothing but what it keeps, and reads the members deciding needs; the
//! owned [`Finding`] is built the first time something dereferences it.
//! While nothing has changed it, it is written back as the very bytes it
//! came as.
//!
//! [`FindingView`] is how those members are read: from a `LazyFinding`'s
//! JSON, or borrowed from an owned [`Finding`] (`Finding::view`). The
//! accessors derived from them (`control_id`, `resource_account_id`,
//! `resource_region`, ...) are implemented here once, and `Finding`'s own
//! accessors call them, so the two can never disagree.
//!
//! ```
//! use soar_asff::{LazyEvent, SeverityLabel};
//!
//! let event = br#"{"version": "0", "id": "e-1",
//!   "detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub",
//!   "detail": {"findings": [{
//!     "SchemaVersion": "2018-10-08", "Id": "f-1",
//!     "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
//!     "GeneratorId": "security-control/S3.8", "AwsAccountId": "111122223333",
//!     "CreatedAt": "2026-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:00Z",
//!     "Severity": {"Label": "HIGH"}, "Title": "t", "Description": "d",
//!     "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::b"}]}]}}"#;
//! let LazyEvent::Findings { findings, .. } = LazyEvent::parse(event)? else {
//!     unreachable!("a Security Hub event");
//! };
//! let view = findings[0].view();
//! assert_eq!(view.control_id(), Some("S3.8"));
//! assert_eq!(view.severity_label(), Some(SeverityLabel::High));
//! assert_eq!(view.resource_region(), Some("eu-west-1"));
//! // The owned finding is built here, on first use.
//! assert_eq!(findings[0].title, "t");
//! # Ok::<(), soar_asff::Error>(())
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut, Range};
use std::sync::{Arc, OnceLock};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::arn::{is_account_id, Arn};
use crate::check::Checked;
use crate::compliance::{Compliance, ComplianceStatus};
use crate::error::Error;
use crate::resource::Resource;
use crate::severity::{Severity, SeverityLabel};
use crate::workflow::{RecordState, Workflow, WorkflowStatus};
use crate::{Event, EventKind, Finding};

/// The members of a finding that deciding reads, borrowed from an owned
/// [`Finding`] or from a [`LazyFinding`]'s JSON.
///
/// Get one with [`Finding::view`] or [`LazyFinding::view`]. It is `Copy`
/// and costs nothing to pass around. Each accessor answers as the
/// `Finding` member or accessor of the same name does.
#[derive(Clone, Copy)]
pub struct FindingView<'a>(Source<'a>);

#[derive(Clone, Copy)]
enum Source<'a> {
    Typed(&'a Finding),
    /// A lazy finding's JSON, what was read from it, and the finding
    /// itself, to build for what was not read.
    Json(&'a str, &'a Parts, &'a LazyFinding),
}

impl fmt::Debug for FindingView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingView")
            .field("id", &self.id())
            .field("product_arn", &self.product_arn())
            .field("control_id", &self.control_id())
            .finish_non_exhaustive()
    }
}

impl<'a> FindingView<'a> {
    /// `Id`.
    pub fn id(self) -> &'a str {
        match self.0 {
            Source::Typed(f) => &f.id,
            Source::Json(json, parts, _) => parts.id.get(json),
        }
    }

    /// `ProductArn`.
    pub fn product_arn(self) -> &'a str {
        match self.0 {
            Source::Typed(f) => &f.product_arn,
            Source::Json(json, parts, _) => parts.product_arn.get(json),
        }
    }

    /// `GeneratorId`.
    pub fn generator_id(self) -> &'a str {
        match self.0 {
            Source::Typed(f) => &f.generator_id,
            Source::Json(json, parts, _) => parts.generator_id.get(json),
        }
    }

    /// `AwsAccountId`.
    pub fn aws_account_id(self) -> &'a str {
        match self.0 {
            Source::Typed(f) => &f.aws_account_id,
            Source::Json(json, parts, _) => parts.aws_account_id.get(json),
        }
    }

    /// `Region`, the member (see [`FindingView::resource_region`] for
    /// where the resource is).
    pub fn region(self) -> Option<&'a str> {
        match self.0 {
            Source::Typed(f) => f.region.as_deref(),
            Source::Json(json, parts, _) => parts.region.as_ref().map(|t| t.get(json)),
        }
    }

    /// The first of `Types`.
    pub fn first_type(self) -> Option<&'a str> {
        match self.0 {
            Source::Typed(f) => f.types().first().map(String::as_str),
            Source::Json(json, parts, _) => parts.first_type.as_ref().map(|t| t.get(json)),
        }
    }

    fn severity(self) -> Option<Severity> {
        match self.0 {
            // Label and score are `Copy`; the strings are left out.
            Source::Typed(f) => f.severity.as_ref().map(|s| Severity {
                label: s.label,
                normalized: s.normalized,
                ..Severity::default()
            }),
            Source::Json(_, parts, _) => parts.severity.map(|(label, normalized)| Severity {
                label,
                normalized,
                ..Severity::default()
            }),
        }
    }

    /// As [`Finding::severity_label`].
    pub fn severity_label(self) -> Option<SeverityLabel> {
        self.severity()?.effective_label()
    }

    /// As [`Finding::normalized_severity`].
    pub fn normalized_severity(self) -> Option<i32> {
        self.severity()?.effective_normalized()
    }

    /// `Compliance.Status`.
    pub fn compliance_status(self) -> Option<ComplianceStatus> {
        match self.0 {
            Source::Typed(f) => f.compliance.as_ref()?.status,
            Source::Json(_, parts, _) => parts.compliance.as_ref()?.0,
        }
    }

    /// `Compliance.SecurityControlId`.
    pub fn security_control_id(self) -> Option<&'a str> {
        match self.0 {
            Source::Typed(f) => f.compliance.as_ref()?.security_control_id.as_deref(),
            Source::Json(json, parts, _) => {
                parts.compliance.as_ref()?.1.as_ref().map(|t| t.get(json))
            }
        }
    }

    /// `Workflow.Status`.
    pub fn workflow_status(self) -> Option<WorkflowStatus> {
        match self.0 {
            Source::Typed(f) => f.workflow.as_ref()?.status,
            Source::Json(_, parts, _) => parts.workflow_status,
        }
    }

    /// `RecordState`.
    pub fn record_state(self) -> Option<RecordState> {
        match self.0 {
            Source::Typed(f) => f.record_state,
            Source::Json(_, parts, _) => parts.record_state,
        }
    }

    /// A `ProductFields` entry. (From JSON, the entries deciding reads,
    /// [`PRODUCT_FIELDS`], are read without building the finding; any
    /// other builds it.)
    pub fn product_field(self, name: &str) -> Option<&'a str> {
        match self.0 {
            Source::Typed(f) => f.product_field(name),
            Source::Json(json, parts, lazy) => match slot(&PRODUCT_FIELDS, name) {
                Some(i) => parts.product_fields[i].as_ref().map(|t| t.get(json)),
                None => lazy.built().product_field(name),
            },
        }
    }

    /// A `UserDefinedFields` entry. (From JSON, the entries deciding reads,
    /// [`USER_DEFINED_FIELDS`], are read without building the finding; any
    /// other builds it.)
    pub fn user_defined_field(self, name: &str) -> Option<&'a str> {
        match self.0 {
            Source::Typed(f) => f.user_defined_field(name),
            Source::Json(json, parts, lazy) => match slot(&USER_DEFINED_FIELDS, name) {
                Some(i) => parts.user_defined_fields[i].as_ref().map(|t| t.get(json)),
                None => lazy.built().user_defined_field(name),
            },
        }
    }

    /// The resources, in order.
    pub fn resources(self) -> impl Iterator<Item = ResourceView<'a>> {
        let (typed, json): (&'a [Resource], &'a [ResourceParts]) = match self.0 {
            Source::Typed(f) => (&f.resources, &[]),
            Source::Json(_, parts, _) => (&[], &parts.resources),
        };
        let source = self.0;
        typed
            .iter()
            .map(|r| ResourceView(ResourceSource::Typed(r)))
            .chain(json.iter().enumerate().filter_map(move |(index, r)| {
                let Source::Json(text, parts, lazy) = source else {
                    return None;
                };
                let tags = if index == 0 {
                    Ok(parts.primary_tags.as_ref())
                } else {
                    Err(lazy)
                };
                Some(ResourceView(ResourceSource::Json {
                    text,
                    parts: r,
                    index,
                    tags,
                }))
            }))
    }

    /// The first resource, which is the subject of almost every finding.
    pub fn primary_resource(self) -> Option<ResourceView<'a>> {
        self.resources().next()
    }

    /// As [`Finding::control_id`].
    pub fn control_id(self) -> Option<&'a str> {
        self.security_control_id()
            .or_else(|| self.product_field("ControlId"))
            .or_else(|| self.product_field("RuleId"))
            .or_else(|| control_id_from_generator(self.generator_id()))
            .filter(|id| !id.is_empty())
    }

    /// As [`Finding::resource_account_id`].
    pub fn resource_account_id(self) -> &'a str {
        self.primary_resource()
            .and_then(|r| r.arn())
            .and_then(|arn| arn.account_id())
            .unwrap_or(self.aws_account_id())
    }

    /// As [`Finding::resource_region`].
    pub fn resource_region(self) -> Option<&'a str> {
        self.primary_resource()
            .and_then(ResourceView::region)
            .or(self.region())
            .or_else(|| {
                Arn::parse(self.product_arn())
                    .ok()
                    .map(|arn| arn.region)
                    .filter(|region| !region.is_empty())
            })
    }

    /// As [`Finding::has_valid_account_id`].
    pub fn has_valid_account_id(self) -> bool {
        is_account_id(self.aws_account_id())
    }
}

/// The `ProductFields` entries that deciding reads, and so that a
/// [`LazyFinding`] reads from its JSON: the control ID of per-standard and
/// CIS 1.2.0 findings, and the account that owns a delegated
/// administrator's finding.
pub const PRODUCT_FIELDS: [&str; 3] = ["ControlId", "RuleId", "ResourceOwnerAccount"];

/// The `UserDefinedFields` entries that deciding reads: the ticket soar
/// opened for the finding.
pub const USER_DEFINED_FIELDS: [&str; 2] = ["TicketOpen", "TicketId"];

/// Where `name` is in `names`.
fn slot(names: &[&str], name: &str) -> Option<usize> {
    names.iter().position(|n| *n == name)
}

/// The control ID at the end of a standards generator ID.
pub(crate) fn control_id_from_generator(generator_id: &str) -> Option<&str> {
    if let Some(id) = generator_id.strip_prefix("security-control/") {
        return Some(id);
    }
    // Standards generators carry a version segment: `<standard>/v/<version>/<control>`.
    if generator_id.contains("/v/") {
        return generator_id.rsplit('/').next();
    }
    None
}

/// The members of a resource that deciding reads (see [`FindingView`]).
#[derive(Clone, Copy)]
pub struct ResourceView<'a>(ResourceSource<'a>);

#[derive(Clone, Copy)]
enum ResourceSource<'a> {
    Typed(&'a Resource),
    /// Read from JSON; the tags are read for the first resource only, and
    /// the finding is built for another's.
    Json {
        text: &'a str,
        parts: &'a ResourceParts,
        index: usize,
        tags: Result<Option<&'a BTreeMap<String, String>>, &'a LazyFinding>,
    },
}

impl fmt::Debug for ResourceView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceView")
            .field("resource_type", &self.resource_type())
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}

impl<'a> From<&'a Resource> for ResourceView<'a> {
    fn from(resource: &'a Resource) -> Self {
        ResourceView(ResourceSource::Typed(resource))
    }
}

impl<'a> ResourceView<'a> {
    /// `Type`.
    pub fn resource_type(self) -> &'a str {
        match self.0 {
            ResourceSource::Typed(r) => &r.resource_type,
            ResourceSource::Json { text, parts, .. } => parts.resource_type.get(text),
        }
    }

    /// `Id`.
    pub fn id(self) -> &'a str {
        match self.0 {
            ResourceSource::Typed(r) => &r.id,
            ResourceSource::Json { text, parts, .. } => parts.id.get(text),
        }
    }

    /// `Tags`.
    pub fn tags(self) -> Option<&'a BTreeMap<String, String>> {
        match self.0 {
            ResourceSource::Typed(r) => r.tags.as_ref(),
            ResourceSource::Json { tags: Ok(tags), .. } => tags,
            ResourceSource::Json {
                tags: Err(lazy),
                index,
                ..
            } => lazy.built().resources.get(index)?.tags.as_ref(),
        }
    }

    /// A resource tag, if the producer reported it.
    pub fn tag(self, name: &str) -> Option<&'a str> {
        self.tags()?.get(name).map(String::as_str)
    }

    /// The `Id` parsed as an ARN, if it is one.
    pub fn arn(self) -> Option<Arn<'a>> {
        Arn::parse(self.id()).ok()
    }

    /// As [`Resource::account_id`].
    pub fn account_id(self) -> Option<&'a str> {
        self.arn()
            .map(|arn| arn.account)
            .filter(|account| !account.is_empty())
    }

    /// As [`Resource::region`]: the `Region` member, or the ARN's Region.
    pub fn region(self) -> Option<&'a str> {
        let member = match self.0 {
            ResourceSource::Typed(r) => r.region.as_deref(),
            ResourceSource::Json { text, parts, .. } => parts.region.as_ref().map(|t| t.get(text)),
        };
        member.or_else(|| {
            self.arn()
                .map(|arn| arn.region)
                .filter(|region| !region.is_empty())
        })
    }
}

/// A string read from a finding's JSON: where it is in that JSON, or its
/// own copy when the JSON wrote it with escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Text {
    Span { start: u32, end: u32 },
    Owned(Box<str>),
}

impl Default for Text {
    fn default() -> Self {
        Text::Span { start: 0, end: 0 }
    }
}

/// Where `slice` starts in `base`, if it is a part of it.
pub(crate) fn offset_in(base: &str, slice: &str) -> Option<usize> {
    let start = (slice.as_ptr() as usize).checked_sub(base.as_ptr() as usize)?;
    (start.checked_add(slice.len())? <= base.len()).then_some(start)
}

impl Text {
    /// Locates `value` in `base`, the text it was read from.
    fn of(base: &str, value: Cow<'_, str>) -> Text {
        if let Cow::Borrowed(slice) = &value {
            if let Some(start) = offset_in(base, slice) {
                if let (Ok(start), Ok(end)) =
                    (u32::try_from(start), u32::try_from(start + slice.len()))
                {
                    return Text::Span { start, end };
                }
            }
        }
        Text::Owned(value.into_owned().into_boxed_str())
    }

    fn get<'a>(&'a self, json: &'a str) -> &'a str {
        match self {
            Text::Span { start, end } => json.get(*start as usize..*end as usize).unwrap_or(""),
            Text::Owned(text) => text,
        }
    }
}

/// What [`FindingView`] reads, located in a [`LazyFinding`]'s JSON.
#[derive(Debug, Clone, Default, PartialEq)]
struct Parts {
    id: Text,
    product_arn: Text,
    generator_id: Text,
    aws_account_id: Text,
    region: Option<Text>,
    first_type: Option<Text>,
    severity: Option<(Option<SeverityLabel>, Option<i32>)>,
    compliance: Option<(Option<ComplianceStatus>, Option<Text>)>,
    workflow_status: Option<WorkflowStatus>,
    record_state: Option<RecordState>,
    /// The entries named in [`PRODUCT_FIELDS`], in that order.
    product_fields: [Option<Text>; 3],
    /// The entries named in [`USER_DEFINED_FIELDS`], in that order.
    user_defined_fields: [Option<Text>; 2],
    resources: Vec<ResourceParts>,
    /// The first resource's tags.
    primary_tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct ResourceParts {
    resource_type: Text,
    id: Text,
    region: Option<Text>,
}

/// A string, borrowed from the input when it has no escapes. (serde's own
/// `Cow<str>` always copies.)
pub(crate) struct Str<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Str<'de>, E> {
                std::str::from_utf8(v)
                    .map(|s| Str(Cow::Owned(s.to_owned())))
                    .map_err(|_| E::invalid_value(de::Unexpected::Bytes(v), &self))
            }
        }
        deserializer.deserialize_string(StrVisitor)
    }
}

/// Reads the members of one object of type `$object` that `$body` names,
/// and checks the rest with the object's own checker (`check_with`).
/// `$body` sees `$member: Option<&'static str>` and `$map`, and returns
/// `Option<bool>` as `check_with` expects, filling `$out: $value`.
macro_rules! capture_object {
    ($deserializer:expr, $object:ty, $value:ty, |$member:ident, $map:ident, $out:ident| $body:expr) => {{
        struct CaptureVisitor;
        impl<'de> Visitor<'de> for CaptureVisitor {
            type Value = $value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!("a ", stringify!($object), " object"))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$value, A::Error> {
                let mut $out = <$value>::default();
                <$object>::check_with(map, |_, $member, $map| $body)?;
                Ok($out)
            }
        }
        $deserializer.deserialize_map(CaptureVisitor)
    }};
}

#[derive(Default)]
struct SeverityCapture(Option<SeverityLabel>, Option<i32>);

impl<'de> Deserialize<'de> for SeverityCapture {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        capture_object!(
            deserializer,
            Severity,
            SeverityCapture,
            |member, map, out| {
                Ok(Some(match member {
                    Some("Label") => {
                        out.0 = map.next_value()?;
                        out.0.is_some()
                    }
                    Some("Normalized") => {
                        out.1 = map.next_value()?;
                        out.1.is_some()
                    }
                    _ => return Ok(None),
                }))
            }
        )
    }
}

#[derive(Default)]
struct WorkflowCapture(Option<WorkflowStatus>);

impl<'de> Deserialize<'de> for WorkflowCapture {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        capture_object!(
            deserializer,
            Workflow,
            WorkflowCapture,
            |member, map, out| {
                Ok(Some(match member {
                    Some("Status") => {
                        out.0 = map.next_value()?;
                        out.0.is_some()
                    }
                    _ => return Ok(None),
                }))
            }
        )
    }
}

/// The `DeserializeSeed`s below read strings as [`Text`] located in
/// `base`, the text being parsed.
#[derive(Clone, Copy)]
struct In<'b>(&'b str);

impl In<'_> {
    fn text(self, value: Str<'_>) -> Text {
        Text::of(self.0, value.0)
    }

    fn optional(self, value: Option<Str<'_>>) -> Option<Text> {
        value.map(|value| self.text(value))
    }
}

struct ComplianceSeed<'b>(In<'b>);

impl<'de> DeserializeSeed<'de> for ComplianceSeed<'_> {
    type Value = (Option<ComplianceStatus>, Option<Text>);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ComplianceSeed<'_> {
    type Value = (Option<ComplianceStatus>, Option<Text>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Compliance object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut out = (None, None);
        Compliance::check_with(map, |_, member, map| {
            Ok(Some(match member {
                Some("Status") => {
                    out.0 = map.next_value()?;
                    out.0.is_some()
                }
                Some("SecurityControlId") => {
                    out.1 = self.0.optional(map.next_value()?);
                    out.1.is_some()
                }
                _ => return Ok(None),
            }))
        })?;
        Ok(out)
    }
}

/// The resources, each with the members deciding reads; the first one's
/// tags too.
struct ResourcesSeed<'b>(In<'b>);

type Resources = (Vec<ResourceParts>, Option<BTreeMap<String, String>>);

impl<'de> DeserializeSeed<'de> for ResourcesSeed<'_> {
    type Value = Resources;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Resources, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ResourcesSeed<'_> {
    type Value = Resources;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Resources, A::Error> {
        let mut resources = Vec::with_capacity(1);
        let mut primary_tags = None;
        while let Some((resource, tags)) = seq.next_element_seed(ResourceSeed {
            base: self.0,
            read_tags: resources.is_empty(),
        })? {
            if resources.is_empty() {
                primary_tags = tags;
            }
            resources.push(resource);
        }
        Ok((resources, primary_tags))
    }
}

struct ResourceSeed<'b> {
    base: In<'b>,
    read_tags: bool,
}

impl<'de> DeserializeSeed<'de> for ResourceSeed<'_> {
    type Value = (ResourceParts, Option<BTreeMap<String, String>>);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResourceSeed<'_> {
    type Value = (ResourceParts, Option<BTreeMap<String, String>>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Resource object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let base = self.base;
        let mut resource = ResourceParts::default();
        let mut tags = None;
        Resource::check_with(map, |_, member, map| {
            Ok(Some(match member {
                Some("Type") => {
                    resource.resource_type = base.text(map.next_value()?);
                    true
                }
                Some("Id") => {
                    resource.id = base.text(map.next_value()?);
                    true
                }
                Some("Region") => {
                    resource.region = base.optional(map.next_value()?);
                    resource.region.is_some()
                }
                Some("Tags") if self.read_tags => {
                    tags = map.next_value::<Option<BTreeMap<String, String>>>()?;
                    tags.is_some()
                }
                _ => return Ok(None),
            }))
        })?;
        Ok((resource, tags))
    }
}

/// The first string of a list of strings; the others are checked.
struct FirstStringSeed<'b>(In<'b>);

impl<'de> DeserializeSeed<'de> for FirstStringSeed<'_> {
    type Value = Option<Text>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Text>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FirstStringSeed<'_> {
    type Value = Option<Text>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Text>, A::Error> {
        let first = seq.next_element::<Str<'de>>()?.map(|s| self.0.text(s));
        while seq.next_element::<Checked<String>>()?.is_some() {}
        Ok(first)
    }
}

/// The entries of a map of strings named in `names`, in their order (the
/// last of a name given twice, as a map keeps it); the others are checked.
struct FieldsSeed<'b, const N: usize> {
    base: In<'b>,
    names: &'static [&'static str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for FieldsSeed<'_, N> {
    type Value = [Option<Text>; N];

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for FieldsSeed<'_, N> {
    type Value = [Option<Text>; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = [const { None }; N];
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match slot(self.names, &key.0) {
                Some(i) => fields[i] = Some(self.base.text(map.next_value()?)),
                None => {
                    map.next_value::<Checked<String>>()?;
                }
            }
        }
        Ok(fields)
    }
}

/// A finding read by [`FindingSeed`]: its parts, and where its first key
/// starts in the text parsed, from which its extent is found.
pub(crate) struct Captured {
    parts: Parts,
    pub(crate) first_key: Option<usize>,
}

/// Checks a finding against the typed model and reads its [`Parts`], in
/// one pass, locating them in `base`, the text being parsed.
#[derive(Clone, Copy)]
pub(crate) struct FindingSeed<'b> {
    base: In<'b>,
    /// Members that are not taken: the finding is an error.
    refuse: fn(&str) -> bool,
}

impl<'b> FindingSeed<'b> {
    pub(crate) fn new(base: &'b str) -> Self {
        FindingSeed {
            base: In(base),
            refuse: |_| false,
        }
    }

    pub(crate) fn refusing(self, refuse: fn(&str) -> bool) -> Self {
        FindingSeed { refuse, ..self }
    }
}

impl<'de> DeserializeSeed<'de> for FindingSeed<'_> {
    type Value = Captured;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Captured, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FindingSeed<'_> {
    type Value = Captured;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Finding object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Captured, A::Error> {
        let base = self.base;
        let mut parts = Parts::default();
        let mut first_key = None;
        let mut keys = 0usize;
        Finding::check_with(map, |key, member, map| {
            if keys == 0 {
                first_key = match &key.0 {
                    Cow::Borrowed(key) => offset_in(base.0, key),
                    Cow::Owned(_) => None,
                };
            }
            keys += 1;
            let Some(member) = member else {
                if (self.refuse)(&key.0) {
                    return Err(de::Error::custom(format_args!(
                        "member `{}` refused",
                        key.0
                    )));
                }
                return Ok(None);
            };
            Ok(Some(match member {
                "Id" => {
                    parts.id = base.text(map.next_value()?);
                    true
                }
                "ProductArn" => {
                    parts.product_arn = base.text(map.next_value()?);
                    true
                }
                "GeneratorId" => {
                    parts.generator_id = base.text(map.next_value()?);
                    true
                }
                "AwsAccountId" => {
                    parts.aws_account_id = base.text(map.next_value()?);
                    true
                }
                "Region" => {
                    parts.region = base.optional(map.next_value()?);
                    parts.region.is_some()
                }
                "Types" => match map.next_value_seed(OptionSeed(FirstStringSeed(base)))? {
                    Some(first) => {
                        parts.first_type = first;
                        true
                    }
                    None => false,
                },
                "Severity" => {
                    let severity = map.next_value::<Option<SeverityCapture>>()?;
                    parts.severity = severity.map(|s| (s.0, s.1));
                    parts.severity.is_some()
                }
                "Compliance" => {
                    parts.compliance = map.next_value_seed(OptionSeed(ComplianceSeed(base)))?;
                    parts.compliance.is_some()
                }
                "Workflow" => {
                    let workflow = map.next_value::<Option<WorkflowCapture>>()?;
                    parts.workflow_status = workflow.as_ref().and_then(|w| w.0);
                    workflow.is_some()
                }
                "RecordState" => {
                    parts.record_state = map.next_value()?;
                    parts.record_state.is_some()
                }
                "ProductFields" => {
                    let seed = FieldsSeed {
                        base,
                        names: &PRODUCT_FIELDS,
                    };
                    match map.next_value_seed(OptionSeed(seed))? {
                        Some(fields) => {
                            parts.product_fields = fields;
                            true
                        }
                        None => false,
                    }
                }
                "UserDefinedFields" => {
                    let seed = FieldsSeed {
                        base,
                        names: &USER_DEFINED_FIELDS,
                    };
                    match map.next_value_seed(OptionSeed(seed))? {
                        Some(fields) => {
                            parts.user_defined_fields = fields;
                            true
                        }
                        None => false,
                    }
                }
                "Resources" => {
                    (parts.resources, parts.primary_tags) =
                        map.next_value_seed(ResourcesSeed(base))?;
                    true
                }
                _ => return Ok(None),
            }))
        })?;
        Ok(Captured { parts, first_key })
    }
}

/// `Option<T>` for a seed: `null` is `None`, as for `Option<T>`.
struct OptionSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an option")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(deserializer).map(Some)
    }
}

/// JSON's whitespace.
pub(crate) fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// A finding kept as the JSON it came in, checked against the typed model,
/// and built into a [`Finding`] only when something needs one.
///
/// Make one with [`LazyFinding::from_json`], [`LazyEvent::parse`] (the
/// findings of a Security Hub event) or from an owned `Finding`. Read what
/// deciding needs with [`LazyFinding::view`], which builds nothing; use it
/// as a `&Finding` (it dereferences to one) for anything else, which builds
/// the owned finding once and keeps it.
///
/// Serialised, it writes the JSON it came as, byte for byte, until it is
/// changed through `&mut Finding` (or when that JSON spans several lines);
/// otherwise it writes the typed finding, JSON-equal. Deserialised, it is an owned finding, parsed as
/// [`Finding::from_slice`] parses, with the same errors.
///
/// # Panics
///
/// Dereferencing builds the `Finding` from JSON that [`LazyFinding`]
/// checked, when it was made, against the same model and with the same
/// rules (see the crate's `check` module), so it does not fail. If it ever
/// did, that would be a bug in this crate, and dereferencing panics with a
/// message that says so rather than invent a finding.
pub struct LazyFinding(State);

// The built finding is boxed: a `Finding` is two kilobytes, and a
// `LazyFinding` is moved into and out of every Scratchpad. What was read
// is not: a few hundred bytes moved cost less than an allocation per
// finding, and most `LazyFinding`s are `Json`.
#[allow(clippy::large_enum_variant)]
enum State {
    Json {
        /// The text the finding was read from: its event, shared with
        /// the event's other findings, or the finding alone.
        source: Arc<String>,
        /// Where the finding is in `source`.
        extent: Range<usize>,
        /// What was read, located in `source`.
        parts: Parts,
        typed: OnceLock<Box<Finding>>,
    },
    Typed(Box<Finding>),
}

impl LazyFinding {
    /// Checks one finding's JSON and keeps it, building nothing.
    ///
    /// ```
    /// let json = concat!(
    ///     r#"{"SchemaVersion": "2018-10-08", "Id": "f-1", "#,
    ///     r#""ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub", "#,
    ///     r#""GeneratorId": "security-control/S3.8", "AwsAccountId": "111122223333", "#,
    ///     r#""CreatedAt": "2026-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:00Z", "#,
    ///     r#""Title": "t", "Description": "d", "#,
    ///     r#""Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::b"}]}"#,
    /// );
    /// let finding = soar_asff::LazyFinding::from_json(json)?;
    /// assert_eq!(finding.view().control_id(), Some("S3.8"));
    /// assert!(!finding.is_built());
    /// // Written back as it came, byte for byte.
    /// assert_eq!(serde_json::to_string(&finding).unwrap(), json);
    ///
    /// let bad = json.replace(r#""Type": "AwsS3Bucket", "#, "");
    /// let error = soar_asff::LazyFinding::from_json(&bad).unwrap_err();
    /// assert_eq!(error.path(), Some("Resources[0].Type"));
    /// # Ok::<(), soar_asff::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Json`] as [`Finding::from_str`] gives it, with the path.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        match Self::from_text(json, |_| false) {
            Some(finding) => Ok(finding),
            // The parser says where the JSON is wrong (and, were the
            // checker ever stricter than the parser, builds the finding).
            None => Finding::from_str(json).map(Self::from),
        }
    }

    /// The finding of `text` read in one pass, or `None` if it does not
    /// check, or has a member that `refuse` names.
    pub(crate) fn from_text(text: &str, refuse: fn(&str) -> bool) -> Option<Self> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let captured = FindingSeed::new(text)
            .refusing(refuse)
            .deserialize(&mut deserializer)
            .and_then(|captured| deserializer.end().map(|()| captured))
            .ok()?;
        let trimmed = text.trim_matches(|c: char| c.is_ascii() && is_json_whitespace(c as u8));
        let start = offset_in(text, trimmed)?;
        let source = Arc::new(text.to_owned());
        Some(Self::from_captured(
            &source,
            start..start + trimmed.len(),
            captured,
        ))
    }

    /// The finding at `source[extent]`, checked and read by a
    /// [`FindingSeed`] over `source`.
    pub(crate) fn from_captured(
        source: &Arc<String>,
        extent: Range<usize>,
        captured: Captured,
    ) -> Self {
        LazyFinding(State::Json {
            source: Arc::clone(source),
            extent,
            parts: captured.parts,
            typed: OnceLock::new(),
        })
    }

    /// The members deciding reads, without building the finding.
    pub fn view(&self) -> FindingView<'_> {
        match &self.0 {
            State::Json {
                source,
                parts,
                typed,
                ..
            } => match typed.get() {
                Some(finding) => FindingView(Source::Typed(finding)),
                None => FindingView(Source::Json(source, parts, self)),
            },
            State::Typed(finding) => FindingView(Source::Typed(finding)),
        }
    }

    /// The JSON this finding came as, while nothing has changed it.
    pub fn json(&self) -> Option<&str> {
        match &self.0 {
            State::Json { source, extent, .. } => source.get(extent.clone()),
            State::Typed(_) => None,
        }
    }

    /// Whether the owned [`Finding`] has been built.
    pub fn is_built(&self) -> bool {
        match &self.0 {
            State::Json { typed, .. } => typed.get().is_some(),
            State::Typed(_) => true,
        }
    }

    /// An owned copy of the finding: a clone of the built one, else built
    /// from the JSON without keeping it here.
    pub fn to_finding(&self) -> Finding {
        match &self.0 {
            State::Json { typed, .. } => match typed.get() {
                Some(finding) => Finding::clone(finding),
                None => *build(self.json()),
            },
            State::Typed(finding) => Finding::clone(finding),
        }
    }

    /// The owned finding, built now if it was not yet.
    pub fn into_finding(self) -> Finding {
        match self.0 {
            State::Json {
                source,
                extent,
                typed,
                ..
            } => *typed
                .into_inner()
                .unwrap_or_else(|| build(source.get(extent))),
            State::Typed(finding) => *finding,
        }
    }

    /// The built finding, for as long as `self` lives.
    fn built(&self) -> &Finding {
        self
    }
}

/// Builds the finding of JSON that the checker accepted.
#[allow(clippy::expect_used)] // See `LazyFinding`'s "Panics": a bug in this crate, not bad input.
fn build(json: Option<&str>) -> Box<Finding> {
    Box::new(
        json.ok_or(())
            .and_then(|json| Finding::from_str(json).map_err(drop))
            .expect("soar-asff bug: JSON its checker accepted does not parse as a Finding"),
    )
}

impl From<Finding> for LazyFinding {
    fn from(finding: Finding) -> Self {
        LazyFinding(State::Typed(Box::new(finding)))
    }
}

impl Default for LazyFinding {
    fn default() -> Self {
        Finding::default().into()
    }
}

impl Deref for LazyFinding {
    type Target = Finding;

    fn deref(&self) -> &Finding {
        match &self.0 {
            State::Json {
                source,
                extent,
                typed,
                ..
            } => typed.get_or_init(|| build(source.get(extent.clone()))),
            State::Typed(finding) => finding,
        }
    }
}

impl DerefMut for LazyFinding {
    /// Builds the finding if it was not yet, and lets go of the JSON, which
    /// a change would make stale.
    fn deref_mut(&mut self) -> &mut Finding {
        built_mut(&mut self.0)
    }
}

/// The built finding of `state`, which from now on is `Typed`.
fn built_mut(state: &mut State) -> &mut Finding {
    loop {
        match state {
            State::Typed(finding) => return finding,
            State::Json {
                source,
                extent,
                typed,
                ..
            } => {
                let finding = typed
                    .take()
                    .unwrap_or_else(|| build(source.get(extent.clone())));
                *state = State::Typed(finding);
            }
        }
    }
}

impl Clone for LazyFinding {
    fn clone(&self) -> Self {
        LazyFinding(match &self.0 {
            State::Json {
                source,
                extent,
                parts,
                typed,
            } => State::Json {
                source: Arc::clone(source),
                extent: extent.clone(),
                parts: parts.clone(),
                typed: typed.clone(),
            },
            State::Typed(finding) => State::Typed(finding.clone()),
        })
    }
}

impl PartialEq for LazyFinding {
    fn eq(&self, other: &Self) -> bool {
        match (self.json(), other.json()) {
            (Some(a), Some(b)) if a == b => true,
            _ => **self == **other,
        }
    }
}

impl fmt::Debug for LazyFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_built() {
            f.debug_tuple("LazyFinding").field(&**self).finish()
        } else {
            f.debug_tuple("LazyFinding").field(&self.view()).finish()
        }
    }
}

impl Serialize for LazyFinding {
    /// The JSON the finding came as, verbatim, while nothing has changed
    /// it and it is on one line (as EventBridge and JSON lines deliver
    /// findings); else the typed finding, which is JSON-equal. (A line
    /// break in JSON text is layout, never data: written verbatim into a
    /// Scratchpad, it would break a JSON-lines output in two.)
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let one_line = self
            .json()
            .filter(|json| !json.bytes().any(|b| b == b'\n' || b == b'\r'));
        if let Some(json) = one_line {
            // Checked when it was read: this only hands the text to serde.
            if let Ok(raw) = serde_json::from_str::<&RawValue>(json) {
                return raw.serialize(serializer);
            }
        }
        (**self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LazyFinding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Finding::deserialize(deserializer).map(LazyFinding::from)
    }
}

impl Finding {
    /// The members deciding reads, borrowed (see [`FindingView`]).
    pub fn view(&self) -> FindingView<'_> {
        FindingView(Source::Typed(self))
    }
}

impl<'a> From<&'a Finding> for FindingView<'a> {
    fn from(finding: &'a Finding) -> Self {
        finding.view()
    }
}

impl<'a> From<&'a LazyFinding> for FindingView<'a> {
    fn from(finding: &'a LazyFinding) -> Self {
        finding.view()
    }
}

/// An event's ASFF findings, kept as JSON (see [`LazyEvent::parse`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LazyEvent {
    /// `Security Hub Findings - Imported` or `- Custom Action`, or a bare
    /// ASFF finding.
    Findings {
        /// Which of the three.
        kind: EventKind,
        /// The findings, each checked and kept as JSON.
        findings: Vec<LazyFinding>,
    },
    /// Any other event, parsed by [`Event::parse`] (boxed: an `Event` is
    /// large, and this is the less common case).
    Other(Box<Event>),
}

impl LazyEvent {
    /// Parses an event as [`Event::parse`] does, except that the findings
    /// of a Security Hub event are checked and kept as JSON instead of
    /// built ([`LazyFinding`]); the envelope's own members are checked and
    /// not kept.
    ///
    /// This is the fast path for deciding: the findings of an event are
    /// checked several times faster than they are built. An event whose
    /// `detail` comes before its `detail-type` (AWS writes `detail-type`
    /// first), a bare finding, and every other kind of event are parsed
    /// as `Event::parse` parses them.
    ///
    /// # Errors
    /// Those of [`Event::parse`] for the same bytes, with the same paths.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        crate::event::parse_lazy(bytes)
    }

    /// The kind of event.
    pub fn kind(&self) -> EventKind {
        match self {
            LazyEvent::Findings { kind, .. } => *kind,
            LazyEvent::Other(event) => event.kind(),
        }
    }
}

impl From<Event> for LazyEvent {
    /// The ASFF findings of a parsed event, as [`LazyFinding`]s that are
    /// already built.
    fn from(event: Event) -> Self {
        let kind = event.kind();
        match event {
            Event::SecurityHubImported(e) | Event::SecurityHubCustomAction(e) => {
                LazyEvent::Findings {
                    kind,
                    findings: e
                        .detail
                        .findings
                        .into_iter()
                        .map(LazyFinding::from)
                        .collect(),
                }
            }
            Event::Finding(finding) => LazyEvent::Findings {
                kind,
                findings: vec![LazyFinding::from(*finding)],
            },
            other => LazyEvent::Other(Box::new(other)),
        }
    }
}
