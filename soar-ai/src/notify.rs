//! [Notifiers](soar_core::ports::Notifier): mail through Amazon SES, a topic
//! on Amazon SNS, and memory.
//!
//! | Notifier | Sends | Feature | IAM action |
//! | --- | --- | --- | --- |
//! | `SesNotifier` | one email (text and HTML) to the notification's addresses | `ses` | `ses:SendEmail` |
//! | `SnsNotifier` | the plain text to one topic's subscribers | `sns` | `sns:Publish` |
//! | [`MemoryNotifier`] | nothing: keeps each message for tests | | |

pub use soar_core::ports::memory::MemoryNotifier;
#[cfg(any(feature = "ses", feature = "sns"))]
use soar_core::ports::{Notification, Notifier, PortError};

#[cfg(any(feature = "ses", feature = "sns"))]
const PORT: &str = "Notifier";

#[cfg(any(feature = "ses", feature = "sns"))]
fn port_error<E>(operation: &'static str, error: &E) -> PortError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error,
{
    let (class, message) = soar_core::error_class::describe_error(error);
    PortError {
        port: PORT,
        operation,
        class,
        message,
    }
}

#[cfg(feature = "ses")]
fn invalid(operation: &'static str, message: String) -> PortError {
    PortError {
        port: PORT,
        operation,
        class: soar_core::error_class::ErrorClass::Other,
        message,
    }
}

#[cfg(feature = "ses")]
pub use ses::SesNotifier;

#[cfg(feature = "ses")]
mod ses {
    use async_trait::async_trait;
    use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
    use aws_sdk_sesv2::Client;

    use super::{invalid, port_error, Notification, Notifier, PortError};

    /// Mail through Amazon SES v2 `SendEmail`: one message to every
    /// address of the notification, with its plain text and, when it has
    /// one, its HTML (the client shows the HTML, or the text if it cannot).
    #[derive(Debug, Clone)]
    pub struct SesNotifier {
        client: Client,
        from: String,
        configuration_set: Option<String>,
    }

    impl SesNotifier {
        /// Sends from `from`, an address or domain verified in SES.
        pub fn new(client: Client, from: impl Into<String>) -> Self {
            SesNotifier {
                client,
                from: from.into(),
                configuration_set: None,
            }
        }

        /// Sends through this configuration set (for bounce and delivery
        /// events).
        pub fn configuration_set(mut self, name: impl Into<String>) -> Self {
            self.configuration_set = Some(name.into());
            self
        }
    }

    fn utf8(text: &str) -> Result<Content, PortError> {
        Content::builder()
            .data(text)
            .charset("UTF-8")
            .build()
            .map_err(|e| invalid("SendEmail", e.to_string()))
    }

    #[async_trait]
    impl Notifier for SesNotifier {
        async fn notify(&self, notification: &Notification) -> Result<(), PortError> {
            if notification.to.is_empty() {
                return Err(invalid(
                    "SendEmail",
                    format!("no recipient for \"{}\"", notification.subject),
                ));
            }
            let mut body = Body::builder().text(utf8(&notification.text)?);
            if let Some(html) = &notification.html {
                body = body.html(utf8(html)?);
            }
            let message = Message::builder()
                .subject(utf8(&notification.subject)?)
                .body(body.build())
                .build();
            self.client
                .send_email()
                .from_email_address(&self.from)
                .destination(
                    Destination::builder()
                        .set_to_addresses(Some(notification.to.clone()))
                        .build(),
                )
                .content(EmailContent::builder().simple(message).build())
                .set_configuration_set_name(self.configuration_set.clone())
                .send()
                .await
                .map_err(|e| port_error("SendEmail", &e))?;
            Ok(())
        }
    }
}

#[cfg(feature = "sns")]
pub use sns::{sns_subject, SnsNotifier};

#[cfg(feature = "sns")]
mod sns {
    use async_trait::async_trait;
    use aws_sdk_sns::Client;

    use super::{port_error, Notification, Notifier, PortError};

    /// A topic on Amazon SNS: the plain text goes to the topic's
    /// subscribers (email, chat through AWS Chatbot, a queue), whoever the
    /// notification names; the subscriptions decide who reads it.
    #[derive(Debug, Clone)]
    pub struct SnsNotifier {
        client: Client,
        topic_arn: String,
    }

    impl SnsNotifier {
        /// Publishes to `topic_arn`.
        pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
            SnsNotifier {
                client,
                topic_arn: topic_arn.into(),
            }
        }
    }

    /// The subject as SNS takes it: printable ASCII on one line, under 100
    /// characters (longer ones end in `...`), starting with a letter, digit
    /// or punctuation mark.
    pub fn sns_subject(subject: &str) -> String {
        let ascii: String = subject
            .chars()
            .map(|c| if c.is_ascii_graphic() { c } else { ' ' })
            .collect();
        let words = ascii.split_whitespace().collect::<Vec<_>>().join(" ");
        if words.len() < 100 {
            words
        } else {
            format!("{}...", &words[..96])
        }
    }

    #[async_trait]
    impl Notifier for SnsNotifier {
        async fn notify(&self, notification: &Notification) -> Result<(), PortError> {
            let subject = sns_subject(&notification.subject);
            self.client
                .publish()
                .topic_arn(&self.topic_arn)
                .set_subject((!subject.is_empty()).then_some(subject))
                .message(&notification.text)
                .send()
                .await
                .map_err(|e| port_error("Publish", &e))?;
            Ok(())
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_subject_is_made_fit_for_sns() {
            assert_eq!(
                sns_subject("TEAM FIX:\n S3.8 — bucket"),
                "TEAM FIX: S3.8 bucket"
            );
            let long = sns_subject(&"x".repeat(150));
            assert_eq!(long.len(), 99);
            assert!(long.ends_with("..."));
        }
    }
}
