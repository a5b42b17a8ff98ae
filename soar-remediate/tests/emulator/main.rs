//! Every control against a real AWS emulator (moto's server mode).
//!
//! Each test creates the non-compliant resource with the SDK, remediates it
//! from an ASFF finding, reads the state back with a fresh client, and runs
//! the remediation a second time to check it writes nothing. The operations
//! each run makes are recorded and checked against the control's declared
//! IAM actions.
//!
//! `scripts/test-all.sh` installs moto from PyPI into `.venv`, starts it on a
//! free port on 127.0.0.1, and runs these tests with `AWS_ENDPOINT_URL`
//! pointing at it. They are `#[ignore]`d otherwise, because they need it.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ec2;
mod elbv2_ecs;
mod iam;
mod kms_ecr_dynamodb;
mod placement;
mod rds;
mod s3;
mod support;
