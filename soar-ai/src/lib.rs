#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod analysis;
pub mod anonymise;
#[cfg(feature = "bedrock")]
pub mod bedrock;
mod config;
pub mod email;
pub mod model;
pub mod notify;
pub mod prompts;
pub mod report;
pub mod text;

pub use analysis::{Analysis, Analyst, Outcome};
pub use config::{AiConfig, Iac};
pub use model::{LanguageModel, ModelError, OfflineModel, Prompt};
pub use prompts::{PromptKind, Prompts};

#[cfg(test)]
pub(crate) mod fixtures {
    use soar_asff::{Event, Finding};

    /// A published S3.8 finding (examples/findings in the repository).
    pub(crate) fn finding() -> Finding {
        let event = Event::parse(include_str!("../tests/data/s3-8-failed.json").as_bytes())
            .expect("the fixture parses");
        event.findings()[0].clone()
    }
}
