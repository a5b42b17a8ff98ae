//! EventBridge envelopes, and [`Event::parse`], which tells them apart.
//!
//! A SOAR Lambda receives whatever its EventBridge rules match. [`Event`]
//! names the kinds soar acts on (Security Hub's ASFF events and its OCSF
//! `Findings Imported V2`, GuardDuty, CloudWatch alarms, CloudTrail), keeps
//! any other EventBridge event verbatim as [`Event::Other`], and also
//! accepts a bare ASFF or OCSF finding, which is what people paste into a
//! CLI or a Lambda test event.
//!
//! The kind is read from `detail-type`. AWS writes `detail-type` before
//! `detail`, so the detail is parsed straight into its type in one pass. When
//! a producer reorders the members, or leaves `detail-type` out (Lambda
//! console test events often carry only `region` and `detail`), the detail is
//! read as JSON first, its kind inferred from its members, and then converted.

mod cloudtrail;
mod cloudwatch;
mod guardduty;
mod securityhub;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

pub use cloudtrail::{CloudTrailDetail, UserIdentity};
pub use cloudwatch::{AlarmConfiguration, AlarmState, AlarmStateChange, AlarmStateValue};
pub use guardduty::GuardDutyFinding;
pub use securityhub::SecurityHubDetail;

use crate::check::Checked;
use crate::error::Error;
use crate::object::{insert_extra, Extra, Key};
use crate::view::{is_json_whitespace, offset_in, Captured, FindingSeed, Str};
use crate::{ocsf, Finding, LazyEvent, LazyFinding};

/// `detail-type` of findings that Security Hub imported or updated.
pub const SECURITY_HUB_IMPORTED: &str = "Security Hub Findings - Imported";
/// `detail-type` of the OCSF findings that Security Hub (not Security Hub
/// CSPM) imported or updated.
pub const SECURITY_HUB_IMPORTED_V2: &str = "Findings Imported V2";
/// `detail-type` of findings sent to a Security Hub custom action.
pub const SECURITY_HUB_CUSTOM_ACTION: &str = "Security Hub Findings - Custom Action";
/// `detail-type` of native GuardDuty findings.
pub const GUARDDUTY_FINDING: &str = "GuardDuty Finding";
/// `detail-type` of CloudWatch alarm state changes.
pub const CLOUDWATCH_ALARM_STATE_CHANGE: &str = "CloudWatch Alarm State Change";
/// `detail-type` of API calls recorded by CloudTrail.
pub const CLOUDTRAIL_API_CALL: &str = "AWS API Call via CloudTrail";
/// `detail-type` of console sign-ins recorded by CloudTrail.
pub const CLOUDTRAIL_CONSOLE_SIGN_IN: &str = "AWS Console Sign In via CloudTrail";

/// An EventBridge event: the common header members and a typed `detail`.
///
/// Every header member is optional because published test events leave
/// some out; events that AWS delivers carry them all.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Envelope<D> {
    /// The envelope version, `0`.
    pub version: Option<String>,
    /// The event's ID.
    pub id: Option<String>,
    /// What kind of event this is, such as `GuardDuty Finding`.
    pub detail_type: Option<String>,
    /// The emitting service, such as `aws.securityhub`.
    pub source: Option<String>,
    /// The account the event came from.
    pub account: Option<String>,
    /// When the event was emitted.
    pub time: Option<String>,
    /// The Region the event came from.
    pub region: Option<String>,
    /// ARNs of the resources involved.
    pub resources: Option<Vec<String>>,
    /// The event's body.
    pub detail: D,
    /// Members without a typed field (such as Cloud Custodian's `debug`).
    pub extra: Extra,
}

/// One event that soar can act on.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `Security Hub Findings - Imported`.
    SecurityHubImported(Envelope<SecurityHubDetail>),
    /// `Security Hub Findings - Custom Action`.
    SecurityHubCustomAction(Envelope<SecurityHubDetail>),
    /// `Findings Imported V2`: Security Hub's OCSF findings.
    SecurityHubImportedV2(Envelope<ocsf::Detail>),
    /// `GuardDuty Finding`, in GuardDuty's native format.
    GuardDutyFinding(Envelope<GuardDutyFinding>),
    /// `CloudWatch Alarm State Change`.
    CloudWatchAlarmStateChange(Envelope<AlarmStateChange>),
    /// `AWS API Call via CloudTrail` or `AWS Console Sign In via CloudTrail`.
    CloudTrail(Envelope<CloudTrailDetail>),
    /// A bare ASFF finding, not wrapped in an envelope.
    Finding(Box<Finding>),
    /// A bare OCSF finding, not wrapped in an envelope.
    OcsfFinding(Box<ocsf::Finding>),
    /// Any other EventBridge event (such as `AWS Health Event`), kept verbatim.
    Other(Envelope<Value>),
}

/// The kind of an [`Event`], without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// See [`Event::SecurityHubImported`].
    SecurityHubImported,
    /// See [`Event::SecurityHubCustomAction`].
    SecurityHubCustomAction,
    /// See [`Event::SecurityHubImportedV2`].
    SecurityHubImportedV2,
    /// See [`Event::GuardDutyFinding`].
    GuardDutyFinding,
    /// See [`Event::CloudWatchAlarmStateChange`].
    CloudWatchAlarmStateChange,
    /// See [`Event::CloudTrail`].
    CloudTrail,
    /// See [`Event::Finding`].
    Finding,
    /// See [`Event::OcsfFinding`].
    OcsfFinding,
    /// See [`Event::Other`].
    Other,
}

impl EventKind {
    fn from_detail_type(detail_type: &str) -> Self {
        match detail_type {
            SECURITY_HUB_IMPORTED => EventKind::SecurityHubImported,
            SECURITY_HUB_CUSTOM_ACTION => EventKind::SecurityHubCustomAction,
            SECURITY_HUB_IMPORTED_V2 => EventKind::SecurityHubImportedV2,
            GUARDDUTY_FINDING => EventKind::GuardDutyFinding,
            CLOUDWATCH_ALARM_STATE_CHANGE => EventKind::CloudWatchAlarmStateChange,
            CLOUDTRAIL_API_CALL | CLOUDTRAIL_CONSOLE_SIGN_IN => EventKind::CloudTrail,
            _ => EventKind::Other,
        }
    }

    /// Guesses the kind of a `detail` that came without a `detail-type`.
    fn infer_from_detail(detail: &Value) -> Self {
        let has = |member: &str| detail.get(member).is_some();
        let service_name = detail
            .pointer("/service/serviceName")
            .and_then(Value::as_str);
        let first_finding = detail.pointer("/findings/0");
        if first_finding.is_some_and(|f| f.get("class_uid").is_some()) {
            EventKind::SecurityHubImportedV2
        } else if has("findings") {
            EventKind::SecurityHubImported
        } else if service_name == Some("guardduty") {
            EventKind::GuardDutyFinding
        } else if has("alarmName") && has("state") {
            EventKind::CloudWatchAlarmStateChange
        } else if has("eventSource") && has("eventName") {
            EventKind::CloudTrail
        } else {
            EventKind::Other
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EventKind::SecurityHubImported => SECURITY_HUB_IMPORTED,
            EventKind::SecurityHubCustomAction => SECURITY_HUB_CUSTOM_ACTION,
            EventKind::SecurityHubImportedV2 => SECURITY_HUB_IMPORTED_V2,
            EventKind::GuardDutyFinding => GUARDDUTY_FINDING,
            EventKind::CloudWatchAlarmStateChange => CLOUDWATCH_ALARM_STATE_CHANGE,
            EventKind::CloudTrail => "CloudTrail",
            EventKind::Finding => "ASFF finding",
            EventKind::OcsfFinding => "OCSF finding",
            EventKind::Other => "other EventBridge event",
        })
    }
}

impl Event {
    /// Parses an EventBridge event or a bare ASFF or OCSF finding.
    ///
    /// ```
    /// use soar_asff::{Event, EventKind};
    ///
    /// let bytes = br#"{"detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
    ///   "detail": {"alarmName": "INFRA-Api-Errors-HIGH", "state": {"value": "ALARM"}}}"#;
    /// let event = Event::parse(bytes)?;
    /// assert_eq!(event.kind(), EventKind::CloudWatchAlarmStateChange);
    /// # Ok::<(), soar_asff::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Json`] naming the path of the first problem (for example
    /// `detail.findings[0].Severity.Label`), or [`Error::UnrecognisedEvent`]
    /// for JSON that is neither an event nor a finding.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let raw: RawEvent = crate::json::parse_json(bytes)?;
        raw.into_event()
    }

    /// Converts an already parsed `serde_json::Value`.
    ///
    /// # Errors
    /// As [`Event::parse`].
    pub fn from_value(value: Value) -> Result<Self, Error> {
        let raw: RawEvent = crate::json::from_value(value)?;
        raw.into_event()
    }

    /// The kind of event.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::SecurityHubImported(_) => EventKind::SecurityHubImported,
            Event::SecurityHubCustomAction(_) => EventKind::SecurityHubCustomAction,
            Event::SecurityHubImportedV2(_) => EventKind::SecurityHubImportedV2,
            Event::GuardDutyFinding(_) => EventKind::GuardDutyFinding,
            Event::CloudWatchAlarmStateChange(_) => EventKind::CloudWatchAlarmStateChange,
            Event::CloudTrail(_) => EventKind::CloudTrail,
            Event::Finding(_) => EventKind::Finding,
            Event::OcsfFinding(_) => EventKind::OcsfFinding,
            Event::Other(_) => EventKind::Other,
        }
    }

    /// The OCSF findings the event carries: those of a `Findings Imported
    /// V2` event, the bare OCSF finding itself, or none.
    pub fn ocsf_findings(&self) -> &[ocsf::Finding] {
        match self {
            Event::SecurityHubImportedV2(e) => &e.detail.findings,
            Event::OcsfFinding(finding) => std::slice::from_ref(finding),
            _ => &[],
        }
    }

    /// The ASFF findings the event carries: those of a Security Hub CSPM
    /// event, the bare finding itself, or none (see
    /// [`Event::ocsf_findings`] for OCSF ones).
    pub fn findings(&self) -> &[Finding] {
        match self {
            Event::SecurityHubImported(e) | Event::SecurityHubCustomAction(e) => &e.detail.findings,
            Event::Finding(finding) => std::slice::from_ref(finding),
            _ => &[],
        }
    }

    /// Mutable access to the ASFF findings the event carries.
    pub fn findings_mut(&mut self) -> &mut [Finding] {
        match self {
            Event::SecurityHubImported(e) | Event::SecurityHubCustomAction(e) => {
                &mut e.detail.findings
            }
            Event::Finding(finding) => std::slice::from_mut(finding),
            _ => &mut [],
        }
    }

    /// The event as compact JSON.
    ///
    /// # Errors
    /// None in practice: every member serialises. The `Result` is serde's.
    pub fn to_json(&self) -> Result<String, Error> {
        crate::json::to_json(self)
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Event::SecurityHubImported(e) | Event::SecurityHubCustomAction(e) => {
                e.serialize(serializer)
            }
            Event::SecurityHubImportedV2(e) => e.serialize(serializer),
            Event::GuardDutyFinding(e) => e.serialize(serializer),
            Event::CloudWatchAlarmStateChange(e) => e.serialize(serializer),
            Event::CloudTrail(e) => e.serialize(serializer),
            Event::Finding(finding) => finding.serialize(serializer),
            Event::OcsfFinding(finding) => finding.serialize(serializer),
            Event::Other(e) => e.serialize(serializer),
        }
    }
}

impl<D: Serialize> Serialize for Envelope<D> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.serialize_header(&mut map)?;
        map.serialize_entry("detail", &self.detail)?;
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<D> Envelope<D> {
    fn serialize_header<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let strings = [
            ("version", &self.version),
            ("id", &self.id),
            ("detail-type", &self.detail_type),
            ("source", &self.source),
            ("account", &self.account),
            ("time", &self.time),
            ("region", &self.region),
        ];
        for (key, value) in strings {
            if let Some(value) = value {
                map.serialize_entry(key, value)?;
            }
        }
        if let Some(resources) = &self.resources {
            map.serialize_entry("resources", resources)?;
        }
        Ok(())
    }

    fn with_detail<T>(self, detail: T) -> Envelope<T> {
        Envelope {
            version: self.version,
            id: self.id,
            detail_type: self.detail_type,
            source: self.source,
            account: self.account,
            time: self.time,
            region: self.region,
            resources: self.resources,
            detail,
            extra: self.extra,
        }
    }
}

impl<'de, D: Deserialize<'de>> Deserialize<'de> for Envelope<D> {
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        struct EnvelopeVisitor<D>(std::marker::PhantomData<D>);
        impl<'de, D: Deserialize<'de>> Visitor<'de> for EnvelopeVisitor<D> {
            type Value = Envelope<D>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an EventBridge event")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope<D>, A::Error> {
                let mut envelope = Envelope::<()>::default();
                let mut detail = None;
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    if &*key.0 == "detail" {
                        if detail.is_some() {
                            return Err(de::Error::duplicate_field("detail"));
                        }
                        detail = Some(map.next_value()?);
                    } else {
                        envelope.read_header_or_extra(key, &mut map)?;
                    }
                }
                let detail = detail.ok_or_else(|| de::Error::missing_field("detail"))?;
                envelope.check_header().map_err(de::Error::custom)?;
                Ok(envelope.with_detail(detail))
            }
        }
        deserializer.deserialize_map(EnvelopeVisitor(std::marker::PhantomData))
    }
}

impl Envelope<()> {
    /// Refuses an envelope whose `time` is not a string or whose
    /// `resources` is not a list of strings, naming the member. (A bare
    /// OCSF finding has its own `time` and `resources`, of other types, so
    /// the first pass keeps them in `extra` until it knows which this is.)
    fn check_header(&self) -> Result<(), Error> {
        let wrong = |member: &str, error: Error| match error {
            Error::Json(mut json) => {
                json.path = member.to_owned();
                Error::Json(json)
            }
            other => other,
        };
        match self.extra.get("time") {
            None | Some(Value::Null) => {}
            Some(value) => {
                crate::json::from_value::<String>(value.clone()).map_err(|e| wrong("time", e))?;
            }
        }
        match self.extra.get("resources") {
            None | Some(Value::Null) => {}
            Some(value) => {
                crate::json::from_value::<Vec<String>>(value.clone())
                    .map_err(|e| wrong("resources", e))?;
            }
        }
        Ok(())
    }

    /// Reads one member other than `detail` into the header or `extra`.
    fn read_header_or_extra<'de, A: MapAccess<'de>>(
        &mut self,
        key: Key<'de>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let slot = match &*key.0 {
            "version" => &mut self.version,
            "id" => &mut self.id,
            "detail-type" => &mut self.detail_type,
            "source" => &mut self.source,
            "account" => &mut self.account,
            "region" => &mut self.region,
            // An envelope's `time` is a string and its `resources` a list
            // of ARNs; a bare OCSF finding has an integer `time` and a list
            // of resource objects, which are kept in `extra` for it.
            // (`Envelope::check_header` refuses them in an envelope.)
            "time" | "resources" => {
                let value: Value = map.next_value()?;
                let seen = match &*key.0 {
                    "time" => self.time.is_some(),
                    _ => self.resources.is_some(),
                };
                if seen || self.extra.contains_key(&*key.0) {
                    return Err(de::Error::custom(format_args!(
                        "duplicate member `{}`",
                        &*key.0
                    )));
                }
                match (&*key.0, value) {
                    ("time", Value::String(time)) => self.time = Some(time),
                    ("resources", Value::Array(items)) if items.iter().all(Value::is_string) => {
                        let arns = items.into_iter().filter_map(|item| match item {
                            Value::String(arn) => Some(arn),
                            _ => None,
                        });
                        self.resources = Some(arns.collect());
                    }
                    (_, other) => {
                        self.extra.insert(key.0.into_owned(), other);
                    }
                }
                return Ok(());
            }
            _ => {
                let value: Value = map.next_value()?;
                return insert_extra(&mut self.extra, key, value);
            }
        };
        if slot.is_some() {
            return Err(de::Error::custom(format_args!(
                "duplicate member `{}`",
                &*key.0
            )));
        }
        *slot = Some(map.next_value()?);
        Ok(())
    }
}

/// What follows a member of the envelope or of its `detail`: nothing, a
/// member whose key starts at this offset of the text, or one whose key was
/// written with escapes (and so cannot be located).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Nothing,
    At(usize),
    Unknown,
}

impl Next {
    fn of(base: &str, key: &Key<'_>) -> Next {
        match &key.0 {
            Cow::Borrowed(key) => offset_in(base, key).map_or(Next::Unknown, Next::At),
            Cow::Owned(_) => Next::Unknown,
        }
    }
}

/// A Security Hub detail read by [`parse_lazy`]: its findings checked and
/// read where they are, and what follows them.
struct LazyDetail {
    findings: Vec<Captured>,
    after_findings: Next,
}

/// Reads a Security Hub detail in `.0`, the event's text: its members
/// checked as `SecurityHubDetail` checks them, its findings read by
/// [`FindingSeed`].
struct LazyDetailSeed<'b>(&'b str);

impl<'de> DeserializeSeed<'de> for LazyDetailSeed<'_> {
    type Value = LazyDetail;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<LazyDetail, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LazyDetailSeed<'_> {
    type Value = LazyDetail;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SecurityHubDetail object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LazyDetail, A::Error> {
        let base = self.0;
        let mut detail = LazyDetail {
            findings: Vec::new(),
            after_findings: Next::Nothing,
        };
        let mut findings_read = false;
        SecurityHubDetail::check_with(map, |key, member, map| {
            if findings_read && detail.after_findings == Next::Nothing {
                detail.after_findings = Next::of(base, key);
            }
            if member != Some("findings") {
                return Ok(None);
            }
            detail.findings = map.next_value_seed(FindingsSeed(base))?;
            findings_read = true;
            Ok(Some(true))
        })?;
        Ok(detail)
    }
}

/// `detail.findings`, each read by [`FindingSeed`].
struct FindingsSeed<'b>(&'b str);

impl<'de> DeserializeSeed<'de> for FindingsSeed<'_> {
    type Value = Vec<Captured>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Captured>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FindingsSeed<'_> {
    type Value = Vec<Captured>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Captured>, A::Error> {
        let mut findings = Vec::with_capacity(seq.size_hint().unwrap_or(1));
        while let Some(finding) = seq.next_element_seed(FindingSeed::new(self.0))? {
            findings.push(finding);
        }
        Ok(findings)
    }
}

/// Where each finding of `detail.findings` is in `text`, from where its
/// first key starts and what follows the findings, without parsing the text
/// again.
///
/// JSON leaves nothing to guess between two findings (`}`, `,`, `{` and
/// whitespace), after the last one (`]`, then `,` or the `}`s that close the
/// detail and the event), or before a first key (`{` and whitespace), so
/// each extent is found by reading back over exactly those characters.
/// Anything else (a key written with escapes, which has no place in the
/// text) gives `None`, and the caller parses the event the slow way.
fn finding_extents(
    text: &str,
    first_keys: impl ExactSizeIterator<Item = Option<usize>>,
    after_findings: Next,
    after_detail: Next,
) -> Option<Vec<Range<usize>>> {
    let bytes = text.as_bytes();
    let start_of = |first_key: Option<usize>| {
        let quote = first_key?.checked_sub(1)?;
        (bytes.get(quote) == Some(&b'"')).then_some(())?;
        back_over(bytes, quote, b"{").map(|after_brace| after_brace - 1)
    };
    // Where the text after the last finding's `}` is known, and what comes
    // between: the characters to read back over, nearest first.
    let (after_last, between): (usize, &[u8]) = match (after_findings, after_detail) {
        (Next::At(key), _) => (key.checked_sub(1)?, b",]}"),
        (Next::Nothing, Next::At(key)) => (key.checked_sub(1)?, b",}]}"),
        (Next::Nothing, Next::Nothing) => (bytes.len(), b"}}]}"),
        (Next::Unknown, _) | (Next::Nothing, Next::Unknown) => return None,
    };
    // Each finding ends where the next one's start, read back over `,`
    // and `}`, says; the last where the text after them does.
    let mut extents: Vec<Range<usize>> = Vec::with_capacity(first_keys.len());
    for first_key in first_keys {
        let start = start_of(first_key)?;
        if let Some(previous) = extents.last_mut() {
            previous.end = back_over(bytes, start, b",}")?;
        }
        extents.push(start..start);
    }
    if let Some(last) = extents.last_mut() {
        last.end = back_over(bytes, after_last, between)?;
    }
    extents
        .iter()
        .all(|extent| extent.start < extent.end)
        .then_some(extents)
}

/// Reads back from `bytes[..at]` over JSON whitespace and each of
/// `expected` in turn; the offset just after the last one read.
fn back_over(bytes: &[u8], mut at: usize, expected: &[u8]) -> Option<usize> {
    for &wanted in expected {
        while at > 0 && is_json_whitespace(bytes[at - 1]) {
            at -= 1;
        }
        if at == 0 || bytes[at - 1] != wanted {
            return None;
        }
        at -= 1;
    }
    Some(at + 1)
}

/// A detail parsed in the same pass as its envelope.
enum TypedDetail {
    SecurityHub(SecurityHubDetail),
    Ocsf(ocsf::Detail),
    GuardDuty(GuardDutyFinding),
    CloudWatch(AlarmStateChange),
    CloudTrail(CloudTrailDetail),
}

// Lives on the stack for one parse only; boxing would cost an allocation
// per event for no gain.
#[allow(clippy::large_enum_variant)]
enum Detail {
    Missing,
    /// Read before its kind was known, or of a kind soar does not type.
    Buffered(Value),
    Typed(TypedDetail),
}

/// The first pass over any JSON object that might be an event.
struct RawEvent {
    envelope: Envelope<()>,
    detail: Detail,
}

impl<'de> Deserialize<'de> for RawEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RawEventVisitor)
    }
}

struct RawEventVisitor;

impl<'de> Visitor<'de> for RawEventVisitor {
    type Value = RawEvent;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an EventBridge event or an ASFF or OCSF finding (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawEvent, A::Error> {
        let mut envelope = Envelope::<()>::default();
        let mut detail = Detail::Missing;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if &*key.0 != "detail" {
                envelope.read_header_or_extra(key, &mut map)?;
                continue;
            }
            if !matches!(detail, Detail::Missing) {
                return Err(de::Error::duplicate_field("detail"));
            }
            let kind = envelope
                .detail_type
                .as_deref()
                .map(EventKind::from_detail_type);
            detail = match kind {
                Some(EventKind::SecurityHubImported | EventKind::SecurityHubCustomAction) => {
                    Detail::Typed(TypedDetail::SecurityHub(map.next_value()?))
                }
                Some(EventKind::SecurityHubImportedV2) => {
                    Detail::Typed(TypedDetail::Ocsf(map.next_value()?))
                }
                Some(EventKind::GuardDutyFinding) => {
                    Detail::Typed(TypedDetail::GuardDuty(map.next_value()?))
                }
                Some(EventKind::CloudWatchAlarmStateChange) => {
                    Detail::Typed(TypedDetail::CloudWatch(map.next_value()?))
                }
                Some(EventKind::CloudTrail) => {
                    Detail::Typed(TypedDetail::CloudTrail(map.next_value()?))
                }
                _ => Detail::Buffered(map.next_value()?),
            };
        }
        Ok(RawEvent { envelope, detail })
    }
}

/// [`LazyEvent::parse`]: a Security Hub event's findings, or a bare
/// finding, checked and read in place, in one pass; anything else, or
/// anything the fast path does not take, is parsed by [`Event::parse`],
/// whose errors are the ones to report.
pub(crate) fn parse_lazy(bytes: &[u8]) -> Result<LazyEvent, Error> {
    let parse = || Event::parse(bytes).map(LazyEvent::from);
    let Some(text) = crate::json::as_text(bytes) else {
        return parse();
    };
    let read = if starts_like_asff(text) {
        bare_finding(text)
    } else {
        security_hub_event(text)
    };
    match read {
        Some(event) => Ok(event),
        None => parse(),
    }
}

/// Whether the first key of `text` starts with a capital letter, as ASFF
/// members do and EventBridge's envelope members do not.
fn starts_like_asff(text: &str) -> bool {
    let mut bytes = text.bytes().filter(|b| !is_json_whitespace(*b));
    bytes.next() == Some(b'{')
        && bytes.next() == Some(b'"')
        && bytes.next().is_some_and(|b| b.is_ascii_uppercase())
}

/// A bare ASFF finding read in place. `None` for anything `Event::parse`
/// would not take as a bare ASFF finding, including one with a member of
/// the envelope, which it reads (and checks) as the envelope's.
fn bare_finding(text: &str) -> Option<LazyEvent> {
    let finding = LazyFinding::from_text(text, |key| ENVELOPE_MEMBERS.contains(&key))?;
    Some(LazyEvent::Findings {
        kind: EventKind::Finding,
        findings: vec![finding],
    })
}

/// The members of an EventBridge envelope.
const ENVELOPE_MEMBERS: [&str; 9] = [
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
];

/// A Security Hub event's findings read in place. `None` for any other
/// event, and for an envelope that `Event::parse` might not take.
fn security_hub_event(text: &str) -> Option<LazyEvent> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let event = deserializer
        .deserialize_map(LazyEventVisitor { text })
        .and_then(|event| deserializer.end().map(|()| event))
        .ok()?;
    let first_keys = event.detail.findings.iter().map(|f| f.first_key);
    let extents = finding_extents(
        text,
        first_keys,
        event.detail.after_findings,
        event.after_detail,
    )?;
    let source = Arc::new(text.to_owned());
    let findings = event
        .detail
        .findings
        .into_iter()
        .zip(extents)
        .map(|(captured, extent)| LazyFinding::from_captured(&source, extent, captured))
        .collect();
    Some(LazyEvent::Findings {
        kind: event.kind,
        findings,
    })
}

/// A Security Hub event read by [`LazyEventVisitor`].
struct LazySecurityHubEvent {
    kind: EventKind,
    detail: LazyDetail,
    after_detail: Next,
}

/// Reads a Security Hub event in place: its envelope checked, not built,
/// by rules that take no more than `Event::parse` takes (a member twice,
/// a header member of the wrong type, or any other kind of event is an
/// error, and the caller falls back to `Event::parse`), and its detail by
/// [`LazyDetailSeed`].
struct LazyEventVisitor<'b> {
    text: &'b str,
}

impl<'de> Visitor<'de> for LazyEventVisitor<'_> {
    type Value = LazySecurityHubEvent;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Security Hub event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let not_taken = |why: &str| Err(de::Error::custom(why));
        let mut seen = [false; ENVELOPE_MEMBERS.len()];
        let mut kind = None;
        let mut detail = None;
        let mut after_detail = Next::Nothing;
        let mut unknown = crate::check::UnknownKeys::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if detail.is_some() && after_detail == Next::Nothing {
                after_detail = Next::of(self.text, &key);
            }
            let Some(member) = ENVELOPE_MEMBERS.iter().position(|m| *m == &*key.0) else {
                if kind.is_none() {
                    // Not an envelope, or not one in AWS's order.
                    return not_taken("a member before detail-type");
                }
                map.next_value::<Checked<Value>>()?;
                unknown.insert(key)?;
                continue;
            };
            if std::mem::replace(&mut seen[member], true) {
                return not_taken("a member twice");
            }
            match ENVELOPE_MEMBERS[member] {
                "detail-type" => {
                    let detail_type = map.next_value::<Str<'de>>()?;
                    let this = EventKind::from_detail_type(&detail_type.0);
                    if !matches!(
                        this,
                        EventKind::SecurityHubImported | EventKind::SecurityHubCustomAction
                    ) {
                        return not_taken("not a Security Hub event");
                    }
                    kind = Some(this);
                }
                "detail" => {
                    if kind.is_none() {
                        return not_taken("detail before detail-type");
                    }
                    detail = Some(map.next_value_seed(LazyDetailSeed(self.text))?);
                }
                // A string or null, as `Event::parse` takes them.
                "time" => {
                    map.next_value::<Option<Checked<String>>>()?;
                }
                "resources" => {
                    map.next_value::<Option<Checked<Vec<String>>>>()?;
                }
                _ => {
                    map.next_value::<Checked<String>>()?;
                }
            }
        }
        match (kind, detail) {
            (Some(kind), Some(detail)) => Ok(LazySecurityHubEvent {
                kind,
                detail,
                after_detail,
            }),
            _ => not_taken("no detail"),
        }
    }
}

impl RawEvent {
    fn into_event(self) -> Result<Event, Error> {
        let RawEvent { envelope, detail } = self;
        if !matches!(detail, Detail::Missing) {
            envelope.check_header()?;
        }
        let typed = match detail {
            Detail::Typed(typed) => typed,
            Detail::Buffered(value) => return Self::convert_buffered(envelope, value),
            Detail::Missing => return Self::bare_finding(envelope),
        };
        let kind = envelope
            .detail_type
            .as_deref()
            .map(EventKind::from_detail_type);
        Ok(match (typed, kind) {
            (TypedDetail::SecurityHub(d), Some(EventKind::SecurityHubCustomAction)) => {
                Event::SecurityHubCustomAction(envelope.with_detail(d))
            }
            (TypedDetail::SecurityHub(d), _) => Event::SecurityHubImported(envelope.with_detail(d)),
            (TypedDetail::Ocsf(d), _) => Event::SecurityHubImportedV2(envelope.with_detail(d)),
            (TypedDetail::GuardDuty(d), _) => Event::GuardDutyFinding(envelope.with_detail(d)),
            (TypedDetail::CloudWatch(d), _) => {
                Event::CloudWatchAlarmStateChange(envelope.with_detail(d))
            }
            (TypedDetail::CloudTrail(d), _) => Event::CloudTrail(envelope.with_detail(d)),
        })
    }

    fn convert_buffered(envelope: Envelope<()>, detail: Value) -> Result<Event, Error> {
        let kind = match envelope.detail_type.as_deref() {
            Some(detail_type) => EventKind::from_detail_type(detail_type),
            None => EventKind::infer_from_detail(&detail),
        };
        Ok(match kind {
            EventKind::SecurityHubCustomAction => {
                Event::SecurityHubCustomAction(envelope.with_detail(detail_from(detail)?))
            }
            EventKind::SecurityHubImported => {
                Event::SecurityHubImported(envelope.with_detail(detail_from(detail)?))
            }
            EventKind::SecurityHubImportedV2 => {
                Event::SecurityHubImportedV2(envelope.with_detail(detail_from(detail)?))
            }
            EventKind::GuardDutyFinding => {
                Event::GuardDutyFinding(envelope.with_detail(detail_from(detail)?))
            }
            EventKind::CloudWatchAlarmStateChange => {
                Event::CloudWatchAlarmStateChange(envelope.with_detail(detail_from(detail)?))
            }
            EventKind::CloudTrail => Event::CloudTrail(envelope.with_detail(detail_from(detail)?)),
            EventKind::Finding | EventKind::OcsfFinding | EventKind::Other => {
                Event::Other(envelope.with_detail(detail))
            }
        })
    }

    /// An object with no `detail` is taken as a bare ASFF or OCSF finding,
    /// if it looks like one.
    fn bare_finding(envelope: Envelope<()>) -> Result<Event, Error> {
        let has_header = envelope.detail_type.is_some() || envelope.source.is_some();
        let has = |member: &str| envelope.extra.contains_key(member);
        let looks_like_asff = ["SchemaVersion", "ProductArn", "GeneratorId"]
            .iter()
            .any(|member| has(member));
        let looks_like_ocsf = has("class_uid") && has("finding_info");
        if has_header || !(looks_like_asff || looks_like_ocsf) {
            return Err(Error::UnrecognisedEvent {
                reason: "no `detail` member, and not an ASFF finding (no `SchemaVersion`, \
                         `ProductArn` or `GeneratorId`) or an OCSF one (no `class_uid` and \
                         `finding_info`)"
                    .to_owned(),
            });
        }
        let mut object = envelope.extra;
        let header = [
            ("version", envelope.version),
            ("id", envelope.id),
            ("account", envelope.account),
            ("time", envelope.time),
            ("region", envelope.region),
        ];
        for (key, value) in header {
            if let Some(value) = value {
                object.insert(key.to_owned(), Value::String(value));
            }
        }
        if let Some(resources) = envelope.resources {
            object.insert("resources".to_owned(), resources.into());
        }
        if looks_like_ocsf && !looks_like_asff {
            let finding: ocsf::Finding = crate::json::from_value(Value::Object(object))?;
            return Ok(Event::OcsfFinding(Box::new(finding)));
        }
        let finding: Finding = crate::json::from_value(Value::Object(object))?;
        Ok(Event::Finding(Box::new(finding)))
    }
}

/// Converts a buffered `detail`, with `detail.` in front of any error path.
fn detail_from<D: DeserializeOwned>(detail: Value) -> Result<D, Error> {
    crate::json::from_value(detail).map_err(|error| match error {
        Error::Json(mut json) => {
            json.path = if json.path == "." {
                "detail".to_owned()
            } else {
                format!("detail.{}", json.path)
            };
            Error::Json(json)
        }
        other => other,
    })
}
