//! Retrying AWS calls: which errors are worth it, and how long to wait.
//!
//! Only throttling is retried. Access denied, not found and invalid state
//! will not change by waiting; they go to a human (a ticket) or end the
//! step (a resource that is gone). The wait grows exponentially, is capped
//! (the Python anchors' waits grow without bound, so a throttled Lambda can
//! sleep past its timeout), and is jittered so that many Lambdas throttled
//! together do not retry together.
//!
//! Deciding ([`Backoff::delay`]) is kept apart from doing ([`retry`]), and
//! the sleep and the randomness are injected, so tests check the exact delays
//! without a clock.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What kind of failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorClass {
    /// Too many requests; retry later.
    Throttled,
    /// The caller lacks permission.
    AccessDenied,
    /// The resource does not exist (any more).
    NotFound,
    /// The resource is in a state that does not allow the call.
    InvalidState,
    /// Anything else.
    Other,
}

impl ErrorClass {
    /// Whether waiting and trying again can help.
    pub fn is_retryable(self) -> bool {
        self == ErrorClass::Throttled
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorClass::Throttled => "throttled",
            ErrorClass::AccessDenied => "access denied",
            ErrorClass::NotFound => "not found",
            ErrorClass::InvalidState => "invalid state",
            ErrorClass::Other => "other",
        })
    }
}

/// Classifies an AWS error code.
///
/// AWS services name the same failure differently (`ThrottlingException`,
/// `Throttling`, `RequestLimitExceeded`, `SlowDown`; `NoSuchBucket`,
/// `InvalidGroup.NotFound`, `ResourceNotFoundException`), so this matches
/// the known names and the common patterns.
///
/// ```
/// use soar_core::retry::{classify, ErrorClass};
/// assert_eq!(classify("SlowDown"), ErrorClass::Throttled);
/// assert_eq!(classify("InvalidGroup.NotFound"), ErrorClass::NotFound);
/// assert_eq!(classify("UnauthorizedOperation"), ErrorClass::AccessDenied);
/// ```
pub fn classify(code: &str) -> ErrorClass {
    const THROTTLED: &[&str] = &[
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "PriorRequestNotComplete",
        "TransactionInProgressException",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
    ];
    const DENIED: &[&str] = &[
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "NotAuthorized",
        "AccountNotInOrganizationException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
    ];
    const INVALID_STATE: &[&str] = &[
        "IncorrectState",
        "IncorrectInstanceState",
        "InvalidStateException",
        "InvalidDBInstanceState",
        "InvalidDBClusterStateFault",
        "ResourceInUseException",
        "DependencyViolation",
        "OperationAborted",
        "ConflictException",
        "KMSInvalidStateException",
    ];
    if THROTTLED.contains(&code) {
        ErrorClass::Throttled
    } else if DENIED.contains(&code) {
        ErrorClass::AccessDenied
    } else if INVALID_STATE.contains(&code) || code.contains("InvalidState") {
        ErrorClass::InvalidState
    } else if code.contains("NotFound") || code.starts_with("NoSuch") {
        ErrorClass::NotFound
    } else {
        ErrorClass::Other
    }
}

/// The class of an AWS SDK error and a one-line description of it: the
/// error code and message when the service sent them, or the error and its
/// sources (a timeout, a connection failure), which are `Other` because the
/// SDK client has already retried them by its own policy.
pub fn describe_error<E>(error: &E) -> (ErrorClass, String)
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error,
{
    let class = error.code().map_or(ErrorClass::Other, classify);
    let message = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => {
            let mut text = error.to_string();
            let mut source = error.source();
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        }
    };
    (class, message)
}

/// Exponential backoff with full jitter and a cap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Backoff {
    /// The wait before the first retry, before jitter.
    pub initial: Duration,
    /// How much each wait grows.
    pub multiplier: f64,
    /// No wait is longer than this.
    pub max_delay: Duration,
    /// Calls in all, the first included.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(200),
            multiplier: 2.0,
            max_delay: Duration::from_secs(20),
            max_attempts: 6,
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (from 1), given a random
    /// `unit` in `0.0..1.0`: a uniform pick below the capped exponential.
    pub fn delay(&self, retry: u32, unit: f64) -> Duration {
        let exponent = i32::try_from(retry.saturating_sub(1)).unwrap_or(i32::MAX);
        let uncapped = self.initial.as_secs_f64() * self.multiplier.powi(exponent);
        let ceiling = uncapped.min(self.max_delay.as_secs_f64());
        let ceiling = if ceiling.is_finite() {
            ceiling.max(0.0)
        } else {
            self.max_delay.as_secs_f64()
        };
        Duration::from_secs_f64(ceiling * unit.clamp(0.0, 1.0))
    }
}

/// Waits: tokio's timer in production, a recorder in tests.
pub trait Sleep: Send + Sync {
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Sleeps with tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleep;

impl Sleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A source of uniform numbers in `0.0..1.0` for jitter.
pub trait Jitter: Send + Sync {
    /// The next number.
    fn next_unit(&self) -> f64;
}

/// A small SplitMix64 generator; jitter needs spread, not cryptography.
#[derive(Debug)]
pub struct SplitMix(std::sync::atomic::AtomicU64);

impl SplitMix {
    /// A generator with a fixed seed, for repeatable tests.
    pub fn seeded(seed: u64) -> Self {
        SplitMix(std::sync::atomic::AtomicU64::new(seed))
    }

    /// A generator seeded from the clock.
    pub fn from_clock() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9, |d| d.as_nanos() as u64);
        SplitMix::seeded(nanos)
    }
}

impl Jitter for SplitMix {
    fn next_unit(&self) -> f64 {
        let state = self
            .0
            .fetch_add(0x9E37_79B9_7F4A_7C15, std::sync::atomic::Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Calls `operation` until it succeeds, fails with an error that is not
/// retryable, or has been tried `max_attempts` times.
pub async fn retry<T, E, F, Fut>(
    backoff: &Backoff,
    sleep: &dyn Sleep,
    jitter: &dyn Jitter,
    class_of: impl Fn(&E) -> ErrorClass,
    mut operation: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match operation().await {
            Ok(value) => return Ok(value),
            Err(error) if class_of(&error).is_retryable() && attempt < backoff.max_attempts => {
                let delay = backoff.delay(attempt, jitter.next_unit());
                tracing::debug!(attempt, ?delay, "throttled; retrying");
                sleep.sleep(delay).await;
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Test doubles for [`Sleep`] and [`Jitter`].
pub mod testing {
    use std::sync::Mutex;

    use super::*;

    /// Returns at once and records each requested delay.
    #[derive(Debug, Default)]
    pub struct RecordingSleep(Mutex<Vec<Duration>>);

    impl RecordingSleep {
        /// The delays asked for, in order.
        pub fn delays(&self) -> Vec<Duration> {
            self.0.lock().map(|d| d.clone()).unwrap_or_default()
        }
    }

    impl Sleep for RecordingSleep {
        fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
            if let Ok(mut delays) = self.0.lock() {
                delays.push(duration);
            }
            Box::pin(std::future::ready(()))
        }
    }

    /// Always the same number, so delays are exact.
    #[derive(Debug, Clone, Copy)]
    pub struct FixedJitter(pub f64);

    impl Jitter for FixedJitter {
        fn next_unit(&self) -> f64 {
            self.0
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::testing::{FixedJitter, RecordingSleep};
    use super::*;

    #[test]
    fn codes_are_classified() {
        let cases = [
            ("ThrottlingException", ErrorClass::Throttled),
            ("TooManyRequestsException", ErrorClass::Throttled),
            ("AccessDenied", ErrorClass::AccessDenied),
            ("AccessDeniedException", ErrorClass::AccessDenied),
            ("NoSuchBucket", ErrorClass::NotFound),
            ("ResourceNotFoundException", ErrorClass::NotFound),
            ("InvalidGroup.NotFound", ErrorClass::NotFound),
            ("InvalidDBInstanceState", ErrorClass::InvalidState),
            ("IncorrectInstanceState", ErrorClass::InvalidState),
            ("ValidationException", ErrorClass::Other),
        ];
        for (code, class) in cases {
            assert_eq!(classify(code), class, "{code}");
        }
    }

    #[test]
    fn sdk_errors_are_described_by_code_and_message() {
        use aws_smithy_types::error::ErrorMetadata;
        let throttled = ErrorMetadata::builder()
            .code("ThrottlingException")
            .message("Rate exceeded")
            .build();
        assert_eq!(
            describe_error(&throttled),
            (
                ErrorClass::Throttled,
                "ThrottlingException: Rate exceeded".to_owned()
            )
        );
        let code_only = ErrorMetadata::builder().code("NoSuchBucket").build();
        assert_eq!(
            describe_error(&code_only),
            (ErrorClass::NotFound, "NoSuchBucket".to_owned())
        );
        let (class, message) = describe_error(&ErrorMetadata::builder().build());
        assert_eq!(class, ErrorClass::Other);
        assert!(!message.is_empty());
    }

    #[test]
    fn delays_grow_then_stop_at_the_cap() {
        let backoff = Backoff {
            initial: Duration::from_secs(1),
            multiplier: 3.0,
            max_delay: Duration::from_secs(10),
            max_attempts: 10,
        };
        let full: Vec<u64> = (1..=5).map(|n| backoff.delay(n, 1.0).as_secs()).collect();
        assert_eq!(full, [1, 3, 9, 10, 10]);
        assert_eq!(backoff.delay(3, 0.5), Duration::from_secs_f64(4.5));
        assert_eq!(backoff.delay(200, 1.0), Duration::from_secs(10));
    }

    #[test]
    fn jitter_spreads_within_unit_range() {
        let jitter = SplitMix::seeded(7);
        let samples: Vec<f64> = (0..1000).map(|_| jitter.next_unit()).collect();
        assert!(samples.iter().all(|s| (0.0..1.0).contains(s)));
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        assert!((0.4..0.6).contains(&mean), "{mean}");
    }

    #[tokio::test]
    async fn throttling_is_retried_with_recorded_delays_then_succeeds() {
        let sleep = RecordingSleep::default();
        let calls = AtomicU32::new(0);
        let backoff = Backoff {
            initial: Duration::from_secs(1),
            ..Backoff::default()
        };
        let result: Result<&str, &str> = retry(
            &backoff,
            &sleep,
            &FixedJitter(1.0),
            |e: &&str| classify(e),
            || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Err("ThrottlingException")
                    } else {
                        Ok("done")
                    }
                }
            },
        )
        .await;
        assert_eq!(result, Ok("done"));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(
            sleep.delays(),
            [Duration::from_secs(1), Duration::from_secs(2)]
        );
    }

    #[tokio::test]
    async fn other_errors_are_not_retried_and_attempts_are_bounded() {
        let sleep = RecordingSleep::default();
        let calls = AtomicU32::new(0);
        let denied: Result<(), &str> = retry(
            &Backoff::default(),
            &sleep,
            &FixedJitter(0.5),
            |e: &&str| classify(e),
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err("AccessDenied") }
            },
        )
        .await;
        assert_eq!(denied, Err("AccessDenied"));
        assert_eq!(calls.swap(0, Ordering::SeqCst), 1);
        let throttled: Result<(), &str> = retry(
            &Backoff::default(),
            &sleep,
            &FixedJitter(0.5),
            |e: &&str| classify(e),
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err("Throttling") }
            },
        )
        .await;
        assert_eq!(throttled, Err("Throttling"));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            Backoff::default().max_attempts
        );
    }
}
