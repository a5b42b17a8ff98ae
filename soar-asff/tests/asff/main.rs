//! Integration tests of soar-asff against the published fixtures in
//! `testdata/`, malformed input, and random findings.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod fixtures;
mod round_trip;
mod support;
