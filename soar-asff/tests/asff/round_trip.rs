//! Random findings survive the trip to JSON and back.

use proptest::prelude::*;
use soar_asff::strategy::{arb_finding, arb_text};
use soar_asff::{Event, Finding, SECURITY_HUB_IMPORTED};

use crate::assert_json_eq;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn finding_survives_json(finding in arb_finding()) {
        let json = finding.to_json().unwrap();
        let parsed = Finding::from_str(&json).unwrap();
        prop_assert_eq!(&parsed, &finding);
        // The text written the second time is the text written the first time.
        prop_assert_eq!(parsed.to_json().unwrap(), json);
    }

    #[test]
    fn finding_json_survives_the_typed_model(finding in arb_finding()) {
        let value = finding.to_value().unwrap();
        let reparsed = Finding::from_value(value.clone()).unwrap();
        assert_json_eq("random finding", &value, &reparsed.to_value().unwrap());
    }

    #[test]
    fn imported_event_survives_json(
        findings in proptest::collection::vec(arb_finding(), 1..3),
        id in arb_text(),
    ) {
        let event = serde_json::json!({
            "version": "0", "id": id, "detail-type": SECURITY_HUB_IMPORTED,
            "source": "aws.securityhub", "account": "111122223333",
            "time": "2026-01-01T00:00:00Z", "region": "eu-west-1", "resources": [],
            "detail": {"findings": findings},
        });
        let bytes = serde_json::to_vec(&event).unwrap();
        let parsed = Event::parse(&bytes).unwrap();
        prop_assert_eq!(parsed.findings(), &findings[..]);
        let written: serde_json::Value = serde_json::from_str(&parsed.to_json().unwrap()).unwrap();
        assert_json_eq("random event", &event, &written);
    }
}
