//! The AWS implementations against mocked SDK clients: Bedrock Converse
//! (with the SDK's retry policy, as the deployment configures it), SES and
//! SNS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use soar_ai::bedrock::BedrockModel;
use soar_ai::notify::{SesNotifier, SnsNotifier};
use soar_ai::{AiConfig, Analyst, Outcome, Prompts};
use soar_asff::Event;
use soar_core::error_class::ErrorClass;
use soar_core::ports::{Notification, Notifier};
use soar_core::{AwsRetry, ControlAction, Decision, Scratchpad};

mod bedrock {
    use super::*;
    use aws_sdk_bedrockruntime::operation::converse::{ConverseError, ConverseOutput};
    use aws_sdk_bedrockruntime::types::error::{AccessDeniedException, ThrottlingException};
    use aws_sdk_bedrockruntime::types::{
        ContentBlock, ConversationRole, ConverseOutput as Reply, Message, StopReason,
        SystemContentBlock,
    };
    use aws_sdk_bedrockruntime::Client;
    use aws_smithy_mocks::Rule;

    fn ticketed() -> Scratchpad {
        let event = Event::parse(include_bytes!("data/s3-8-failed.json")).unwrap();
        let mut pad = Scratchpad::new(event.findings()[0].clone());
        pad.decision = Some(Decision::FailedControl);
        pad.control_action = Some(ControlAction::Ticket);
        pad.account.team_email = Some("payments@example.com".into());
        pad
    }

    fn reply(text: &str) -> ConverseOutput {
        ConverseOutput::builder()
            .output(Reply::Message(
                Message::builder()
                    .role(ConversationRole::Assistant)
                    .content(ContentBlock::Text(text.to_owned()))
                    .build()
                    .unwrap(),
            ))
            .stop_reason(StopReason::EndTurn)
            .build()
            .unwrap()
    }

    fn throttled() -> ConverseError {
        ConverseError::ThrottlingException(
            ThrottlingException::builder()
                .message("Too many requests, please wait before trying again.")
                .meta(
                    ErrorMetadata::builder()
                        .code("ThrottlingException")
                        .message("Too many requests, please wait before trying again.")
                        .build(),
                )
                .build(),
        )
    }

    /// A client with the retry policy every soar client has (soar-core's
    /// `AwsRetry`), sleeping in tokio's clock, which the tests pause.
    fn client(rule: &Rule, retry: AwsRetry) -> Client {
        mock_client!(aws_sdk_bedrockruntime, RuleMode::MatchAny, [rule], |c| c
            .retry_config(retry.retry_config())
            .stalled_stream_protection(
                aws_sdk_bedrockruntime::config::StalledStreamProtectionConfig::disabled()
            )
            .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new()))
    }

    fn analyst(client: Client, config: AiConfig) -> Analyst {
        let model = BedrockModel::new(client, &config);
        Analyst::new(Arc::new(model), Prompts::builtin(), config)
    }

    #[tokio::test(start_paused = true)]
    async fn converse_gets_the_configured_model_and_the_masked_prompt_and_the_reply_is_restored() {
        let config = AiConfig {
            model_id: "anthropic.claude-3-haiku-20240307-v1:0".into(),
            max_tokens: 512,
            temperature: 0.1,
            ..AiConfig::default()
        };
        let converse = mock!(Client::converse)
            .match_requests(|r| {
                let user = match r.messages() {
                    [message] if message.role() == &ConversationRole::User => {
                        message.content()[0].as_text().ok().cloned()
                    }
                    _ => None,
                };
                let system = match r.system() {
                    [SystemContentBlock::Text(system)] => Some(system.clone()),
                    _ => None,
                };
                r.model_id() == Some("anthropic.claude-3-haiku-20240307-v1:0")
                    && r.inference_config().and_then(|c| c.max_tokens()) == Some(512)
                    && r.inference_config().and_then(|c| c.temperature()) == Some(0.1)
                    && user.is_some_and(|text| {
                        text.contains("Account: <ACCOUNT_1>")
                            && text.contains("Title: S3.8 S3 Block Public Access setting should be enabled at the bucket-level")
                            && !text.contains("111111111111")
                    })
                    && system.is_some_and(|text| text.contains("CloudFormation or Terraform"))
            })
            .then_output(|| reply("Turn on Block Public Access in <ACCOUNT_1>."));
        let mut pad = ticketed();
        let analysis = analyst(client(&converse, AwsRetry::default()), config)
            .annotate(&mut pad)
            .await
            .unwrap();
        assert_eq!(converse.num_calls(), 1);
        assert_eq!(
            analysis.outcome,
            Outcome::Analysed {
                model: "anthropic.claude-3-haiku-20240307-v1:0".into(),
                text: "Turn on Block Public Access in 111111111111.".into(),
            }
        );
        assert_eq!(
            pad.messages.ai.plaintext,
            "Turn on Block Public Access in 111111111111."
        );
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_is_retried_by_the_sdk_policy_then_answered() {
        let converse = mock!(Client::converse)
            .sequence()
            .error(throttled)
            .times(2)
            .output(|| reply("Fixed on the third try."))
            .build();
        let mut pad = ticketed();
        let analysis = analyst(client(&converse, AwsRetry::default()), AiConfig::default())
            .annotate(&mut pad)
            .await
            .unwrap();
        assert_eq!(converse.num_calls(), 3);
        assert!(analysis.is_analysed());
        assert_eq!(pad.messages.ai.plaintext, "Fixed on the third try.");
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_past_the_cap_gives_the_message_without_ai() {
        let converse = mock!(Client::converse)
            .sequence()
            .error(throttled)
            .times(10)
            .build();
        let retry = AwsRetry {
            max_attempts: 3,
            initial_backoff_ms: 100,
            max_backoff_ms: 1_000,
        };
        let mut pad = ticketed();
        let analysis = analyst(client(&converse, retry), AiConfig::default())
            .annotate(&mut pad)
            .await
            .unwrap();
        assert_eq!(converse.num_calls(), 3, "the cap is the policy's attempts");
        match &analysis.outcome {
            Outcome::WithoutAi { reason, .. } => {
                assert!(reason.contains("(throttled)"), "{reason}");
                assert!(reason.contains("ThrottlingException"), "{reason}");
            }
            other => panic!("analysed: {other:?}"),
        }
        assert!(pad
            .messages
            .ai
            .plaintext
            .starts_with("No AI analysis: amazon.nova-lite-v1:0 failed (throttled)"));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_that_outlast_the_timeout_are_not_waited_for() {
        let converse = mock!(Client::converse)
            .sequence()
            .error(throttled)
            .times(10)
            .build();
        // Backoffs of up to a minute against a timeout of 20 s.
        let retry = AwsRetry {
            max_attempts: 10,
            initial_backoff_ms: 30_000,
            max_backoff_ms: 60_000,
        };
        let started = tokio::time::Instant::now();
        let mut pad = ticketed();
        let analysis = analyst(client(&converse, retry), AiConfig::default())
            .annotate(&mut pad)
            .await
            .unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(20));
        assert!(converse.num_calls() < 10);
        assert_eq!(
            analysis.outcome,
            Outcome::WithoutAi {
                model: "amazon.nova-lite-v1:0".into(),
                reason: "the model did not answer within 20 s".into(),
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_denied_model_is_not_retried_and_says_why() {
        let converse = mock!(Client::converse).then_error(|| {
            ConverseError::AccessDeniedException(
                AccessDeniedException::builder()
                    .meta(
                        ErrorMetadata::builder()
                            .code("AccessDeniedException")
                            .message(
                                "You don't have access to the model with the specified model ID.",
                            )
                            .build(),
                    )
                    .build(),
            )
        });
        let mut pad = ticketed();
        let analysis = analyst(client(&converse, AwsRetry::default()), AiConfig::default())
            .annotate(&mut pad)
            .await
            .unwrap();
        assert_eq!(converse.num_calls(), 1);
        assert_eq!(
            analysis.outcome,
            Outcome::WithoutAi {
                model: "amazon.nova-lite-v1:0".into(),
                reason: "amazon.nova-lite-v1:0 failed (access denied): AccessDeniedException: You don't have access to the model with the specified model ID.".into(),
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_reply_without_text_is_no_analysis() {
        let converse = mock!(Client::converse).then_output(|| {
            ConverseOutput::builder()
                .stop_reason(StopReason::ContentFiltered)
                .build()
                .unwrap()
        });
        let mut pad = ticketed();
        let analysis = analyst(client(&converse, AwsRetry::default()), AiConfig::default())
            .annotate(&mut pad)
            .await
            .unwrap();
        assert!(!analysis.is_analysed());
        assert!(pad.messages.ai.plaintext.contains("replied without text"));
    }
}

fn mail() -> Notification {
    Notification {
        to: vec!["payments@example.com".into(), "soc@example.com".into()],
        subject: "TEAM FIX: S3.8 (SEC-42)".into(),
        text: "Plain text.".into(),
        html: Some("<p>HTML</p>".into()),
    }
}

mod ses {
    use super::*;
    use aws_sdk_sesv2::operation::send_email::{SendEmailError, SendEmailOutput};
    use aws_sdk_sesv2::types::error::{MessageRejected, TooManyRequestsException};
    use aws_sdk_sesv2::Client;

    #[tokio::test]
    async fn one_email_goes_to_every_recipient_with_text_and_html() {
        let send = mock!(Client::send_email)
            .match_requests(|r| {
                let simple = r.content().and_then(|c| c.simple());
                let body = simple.and_then(|m| m.body());
                r.from_email_address() == Some("soar@security.example.com")
                    && r.destination().map(|d| d.to_addresses())
                        == Some(
                            &[
                                "payments@example.com".to_owned(),
                                "soc@example.com".to_owned(),
                            ][..],
                        )
                    && simple
                        .and_then(|m| m.subject())
                        .map(|s| (s.data(), s.charset()))
                        == Some(("TEAM FIX: S3.8 (SEC-42)", Some("UTF-8")))
                    && body.and_then(|b| b.text()).map(|t| t.data()) == Some("Plain text.")
                    && body.and_then(|b| b.html()).map(|t| t.data()) == Some("<p>HTML</p>")
                    && r.configuration_set_name() == Some("soar")
            })
            .then_output(|| SendEmailOutput::builder().message_id("m-1").build());
        let client = mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, [&send]);
        SesNotifier::new(client, "soar@security.example.com")
            .configuration_set("soar")
            .notify(&mail())
            .await
            .unwrap();
        assert_eq!(send.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_rejected_or_throttled_email_is_a_classified_error() {
        let rejected = mock!(Client::send_email).then_error(|| {
            SendEmailError::MessageRejected(
                MessageRejected::builder()
                    .meta(
                        ErrorMetadata::builder()
                            .code("MessageRejected")
                            .message("Email address is not verified.")
                            .build(),
                    )
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, [&rejected]);
        let error = SesNotifier::new(client, "soar@security.example.com")
            .notify(&mail())
            .await
            .unwrap_err();
        assert_eq!(
            (error.operation, error.class),
            ("SendEmail", ErrorClass::Other)
        );
        assert_eq!(
            error.message,
            "MessageRejected: Email address is not verified."
        );

        let throttled = mock!(Client::send_email).then_error(|| {
            SendEmailError::TooManyRequestsException(
                TooManyRequestsException::builder()
                    .meta(
                        ErrorMetadata::builder()
                            .code("TooManyRequestsException")
                            .message("Maximum sending rate exceeded.")
                            .build(),
                    )
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, [&throttled], |c| c
            .retry_config(aws_sdk_sesv2::config::retry::RetryConfig::disabled()));
        let error = SesNotifier::new(client, "soar@security.example.com")
            .notify(&mail())
            .await
            .unwrap_err();
        assert_eq!(error.class, ErrorClass::Throttled);
    }

    #[tokio::test]
    async fn a_mail_without_recipients_is_not_sent() {
        let send = mock!(Client::send_email).then_output(|| SendEmailOutput::builder().build());
        let client = mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, [&send]);
        let error = SesNotifier::new(client, "soar@security.example.com")
            .notify(&Notification {
                to: Vec::new(),
                ..mail()
            })
            .await
            .unwrap_err();
        assert_eq!(send.num_calls(), 0);
        assert_eq!(
            error.message,
            "no recipient for \"TEAM FIX: S3.8 (SEC-42)\""
        );
    }
}

mod sns {
    use super::*;
    use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};
    use aws_sdk_sns::types::error::AuthorizationErrorException;
    use aws_sdk_sns::Client;

    const TOPIC: &str = "arn:aws:sns:eu-west-1:111111111111:soar-notifications";

    #[tokio::test]
    async fn the_text_is_published_to_the_topic_with_a_fitting_subject() {
        let publish = mock!(Client::publish)
            .match_requests(|r| {
                r.topic_arn() == Some(TOPIC)
                    && r.subject() == Some("TEAM FIX: S3.8 (SEC-42)")
                    && r.message() == Some("Plain text.")
            })
            .then_output(|| PublishOutput::builder().message_id("m-1").build());
        let client = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&publish]);
        SnsNotifier::new(client, TOPIC)
            .notify(&mail())
            .await
            .unwrap();
        assert_eq!(publish.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_denied_publish_says_so() {
        let denied = mock!(Client::publish).then_error(|| {
            PublishError::AuthorizationErrorException(
                AuthorizationErrorException::builder()
                    .meta(
                        ErrorMetadata::builder()
                            .code("AuthorizationError")
                            .message("User is not authorized to perform: SNS:Publish")
                            .build(),
                    )
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&denied]);
        let error = SnsNotifier::new(client, TOPIC)
            .notify(&mail())
            .await
            .unwrap_err();
        assert_eq!(
            (error.operation, error.class),
            ("Publish", ErrorClass::AccessDenied)
        );
        assert!(error.message.contains("SNS:Publish"), "{error}");
    }
}
