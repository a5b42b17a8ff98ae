#![doc = include_str!("../README.md")]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod account;
#[cfg(any(
    feature = "organizations",
    feature = "securityhub",
    feature = "dynamodb",
    feature = "sts"
))]
pub mod aws;
pub mod config;
pub mod decide;
mod error;
pub mod error_class;
pub mod location;
pub mod pipeline;
pub mod ports;
pub mod preprocess;
pub mod scoring;
pub mod scratchpad;
pub mod suppression;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tickets;
mod time;

pub use account::AccountData;
pub use config::{AutoRemediationConfig, AwsRetry, Config, ConfigError, DestructiveControls};
pub use decide::{decide, triage_failed_control, ControlAction, Decision};
pub use error::Error;
pub use location::{Location, LocationError};
pub use pipeline::{Pipeline, Ports, RemediableControls};
pub use scratchpad::{Scratchpad, StepError};
pub use time::{InvalidTimestamp, Timestamp};
