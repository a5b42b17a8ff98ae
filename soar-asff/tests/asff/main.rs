//! Integration tests of soar-asff that run from its own package: malformed
//! input and random findings. The published fixtures in the repository's
//! `testdata/` are tested in the workspace's `tests/` member.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

mod bad_input;
mod lazy;
mod round_trip;

/// Asserts that `written` is JSON-equal to `original`.
fn assert_json_eq(name: &str, original: &Value, written: &Value) {
    if let Some(difference) = soar_asff::strategy::json_difference(original, written) {
        panic!("{name}: the round trip changed the document at {difference}");
    }
}
