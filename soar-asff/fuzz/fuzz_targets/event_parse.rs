//! Fuzzes `Event::parse`: it must never panic, and whatever it accepts must
//! be written back as JSON that parses to the same event. `LazyEvent::parse`
//! must agree with it: the same error, or the same findings.

#![no_main]

use libfuzzer_sys::fuzz_target;
use soar_asff::{Event, LazyEvent};

fuzz_target!(|bytes: &[u8]| {
    let lazy = LazyEvent::parse(bytes);
    let Ok(event) = Event::parse(bytes) else {
        assert!(lazy.is_err(), "LazyEvent took what Event::parse refuses");
        return;
    };
    if let Ok(LazyEvent::Findings { findings, .. }) = lazy {
        let built: Vec<_> = findings.iter().map(|f| (**f).clone()).collect();
        assert_eq!(built, event.findings(), "LazyEvent read other findings");
    }
    let written = event.to_json().expect("a parsed event serialises");
    let again = Event::parse(written.as_bytes()).expect("written JSON parses");
    assert_eq!(again, event, "the round trip changed the event");
});
