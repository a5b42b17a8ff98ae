//! soar-ai's settings.

use serde::{Deserialize, Serialize};

/// An infrastructure-as-code tool the analysis shows its fixes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Iac {
    /// AWS CloudFormation (and SAM).
    CloudFormation,
    /// HashiCorp Terraform.
    Terraform,
    /// The AWS CDK.
    Cdk,
}

impl Iac {
    /// Its name in a sentence.
    pub fn name(self) -> &'static str {
        match self {
            Iac::CloudFormation => "CloudFormation",
            Iac::Terraform => "Terraform",
            Iac::Cdk => "AWS CDK",
        }
    }
}

/// How soar-ai analyses: which model, how long it may take, and the IaC
/// flavours its replies use. Read from JSON, every member optional:
///
/// ```
/// let config: soar_ai::AiConfig = serde_json::from_str(
///     r#"{"model_id": "anthropic.claude-3-haiku-20240307-v1:0", "iac": ["terraform", "cdk"]}"#,
/// )?;
/// assert_eq!(config.iac_words(), "Terraform or AWS CDK");
/// assert_eq!(config.timeout_seconds, 20);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AiConfig {
    /// The master switch: off, messages go out with a note instead of an
    /// analysis, and nothing is sent.
    pub enabled: bool,
    /// The Bedrock model or inference profile ID.
    pub model_id: String,
    /// The Region Bedrock is called in; the deployment's own when unset.
    pub region: Option<String>,
    /// The most tokens a reply may have.
    pub max_tokens: i32,
    /// The sampling temperature, 0 to 1: low, for plain factual replies.
    pub temperature: f32,
    /// How long one analysis may take, retries included, in seconds. The
    /// message goes out without AI after that.
    pub timeout_seconds: u64,
    /// The IaC flavours replies show fixes in, in order of preference.
    pub iac: Vec<Iac>,
}

impl Default for AiConfig {
    fn default() -> Self {
        AiConfig {
            enabled: true,
            model_id: "amazon.nova-lite-v1:0".to_owned(),
            region: None,
            max_tokens: 800,
            temperature: 0.2,
            timeout_seconds: 20,
            iac: vec![Iac::CloudFormation, Iac::Terraform],
        }
    }
}

impl AiConfig {
    /// The IaC flavours as the prompts name them: `CloudFormation or
    /// Terraform`.
    pub fn iac_words(&self) -> String {
        let names: Vec<&str> = self.iac.iter().map(|iac| iac.name()).collect();
        match names.as_slice() {
            [] => "the infrastructure code".to_owned(),
            [one] => (*one).to_owned(),
            [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iac_flavours_are_named_in_order() {
        let mut config = AiConfig::default();
        assert_eq!(config.iac_words(), "CloudFormation or Terraform");
        config.iac = vec![Iac::Cdk, Iac::Terraform, Iac::CloudFormation];
        assert_eq!(config.iac_words(), "AWS CDK, Terraform or CloudFormation");
        config.iac.clear();
        assert_eq!(config.iac_words(), "the infrastructure code");
    }

    #[test]
    fn an_unknown_member_is_refused_with_its_name() {
        let error = serde_json::from_str::<AiConfig>(r#"{"model": "x"}"#).unwrap_err();
        assert!(
            error.to_string().contains("unknown field `model`"),
            "{error}"
        );
    }
}
