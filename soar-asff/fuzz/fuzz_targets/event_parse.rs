//! Fuzzes `Event::parse`: it must never panic, and whatever it accepts must
//! be written back as JSON that parses to the same event.

#![no_main]

use libfuzzer_sys::fuzz_target;
use soar_asff::Event;

fuzz_target!(|bytes: &[u8]| {
    let Ok(event) = Event::parse(bytes) else {
        return;
    };
    let written = event.to_json().expect("a parsed event serialises");
    let again = Event::parse(written.as_bytes()).expect("written JSON parses");
    assert_eq!(again, event, "the round trip changed the event");
});
