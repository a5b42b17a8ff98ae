#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, docs, then every
# test in the workspace. Run from anywhere; needs only cargo.
#
# Every cargo step uses the same features (--workspace --all-features), so
# the AWS SDK crates resolve once and are not compiled twice over.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "cargo doc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps --locked

step "cargo test"
cargo test --workspace --all-features --locked
