//! [`LanguageModel`] on Amazon Bedrock's Converse API.
//!
//! One retry layer: the SDK client's own, configured once from the
//! deployment's `SdkConfig` (soar-core's `AwsRetry`: standard mode, a capped
//! number of attempts with exponential backoff). Bedrock's
//! `ThrottlingException` and `ServiceUnavailableException` are retried by
//! it; what is left after the last attempt is a [`ModelError`], and
//! [`crate::Analyst`]'s timeout bounds the whole, retries included.

use async_trait::async_trait;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseOutput, InferenceConfiguration, Message,
    SystemContentBlock,
};
use aws_sdk_bedrockruntime::Client;
use soar_core::error_class::{describe_error, ErrorClass};

use crate::config::AiConfig;
use crate::model::{LanguageModel, ModelError, Prompt};

/// A Bedrock model, called with Converse. IAM action:
/// `bedrock:InvokeModel` on the model (or inference profile).
#[derive(Debug, Clone)]
pub struct BedrockModel {
    client: Client,
    model_id: String,
    max_tokens: i32,
    temperature: f32,
}

impl BedrockModel {
    /// The model of `config` (its ID, max tokens, temperature) on `client`.
    pub fn new(client: Client, config: &AiConfig) -> Self {
        BedrockModel {
            client,
            model_id: config.model_id.clone(),
            max_tokens: config.max_tokens,
            temperature: config.temperature,
        }
    }

    /// A client of `sdk`, with its retry policy and credentials, in
    /// `config.region` when set (Bedrock models are not in every Region),
    /// else in the SDK configuration's Region.
    pub fn client(sdk: &aws_types::SdkConfig, config: &AiConfig) -> Client {
        let mut builder = aws_sdk_bedrockruntime::config::Builder::from(sdk);
        if let Some(region) = &config.region {
            builder = builder.region(aws_types::region::Region::new(region.clone()));
        }
        Client::from_conf(builder.build())
    }

    fn failed(&self, class: ErrorClass, message: String) -> ModelError {
        ModelError::Failed {
            model: self.model_id.clone(),
            class,
            message,
        }
    }
}

/// Bedrock's codes that mean "not now" besides `ThrottlingException`.
fn class_of(code: Option<&str>, class: ErrorClass) -> ErrorClass {
    match code {
        Some("ServiceQuotaExceededException" | "ModelNotReadyException") => ErrorClass::Throttled,
        _ => class,
    }
}

#[async_trait]
impl LanguageModel for BedrockModel {
    fn name(&self) -> &str {
        &self.model_id
    }

    async fn complete(&self, prompt: &Prompt) -> Result<String, ModelError> {
        let message = Message::builder()
            .role(ConversationRole::User)
            .content(ContentBlock::Text(prompt.text.clone()))
            .build()
            .map_err(|e| self.failed(ErrorClass::Other, e.to_string()))?;
        let mut request = self
            .client
            .converse()
            .model_id(&self.model_id)
            .messages(message)
            .inference_config(
                InferenceConfiguration::builder()
                    .max_tokens(self.max_tokens)
                    .temperature(self.temperature)
                    .build(),
            );
        if !prompt.system.is_empty() {
            request = request.system(SystemContentBlock::Text(prompt.system.clone()));
        }
        let output = request.send().await.map_err(|error| {
            let code = error
                .as_service_error()
                .and_then(|e| aws_smithy_types::error::metadata::ProvideErrorMetadata::code(e));
            let (class, message) = describe_error(&error);
            self.failed(class_of(code, class), message)
        })?;
        let text: Vec<&str> = match output.output() {
            Some(ConverseOutput::Message(reply)) => reply
                .content()
                .iter()
                .filter_map(|block| block.as_text().ok())
                .map(String::as_str)
                .collect(),
            _ => Vec::new(),
        };
        let text = text.join("\n");
        if text.trim().is_empty() {
            return Err(ModelError::Empty {
                model: self.model_id.clone(),
            });
        }
        Ok(text)
    }
}
