//! The crate's error type.
//!
//! Every parse error says where the input went wrong as a JSON path, in the
//! form `detail.findings[0].Resources[0].Id`, plus the line and column when
//! the input was text. Paths are computed only after a parse has failed, so
//! that the common case pays nothing for them.

use std::fmt;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not valid JSON, or does not fit the ASFF model.
    #[error(transparent)]
    Json(Box<JsonError>),
    /// A string that should be an ARN is not one.
    #[error("not an ARN: {value:?}")]
    InvalidArn {
        /// The text that was given.
        value: String,
    },
    /// An input that parses as JSON but is none of the events [`crate::Event`] knows.
    #[error("unrecognised event: {reason}")]
    UnrecognisedEvent {
        /// What was looked for and not found.
        reason: String,
    },
    /// A value could not be converted to or from an AWS SDK type.
    #[cfg(feature = "sdk")]
    #[error("{path}: cannot convert to or from the AWS SDK type: {reason}")]
    Sdk {
        /// The JSON path of the member.
        path: String,
        /// Why not.
        reason: String,
    },
}

impl Error {
    /// The JSON path of the problem, for the errors that have one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Error::Json(json) => Some(&json.path),
            #[cfg(feature = "sdk")]
            Error::Sdk { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// What kind of JSON problem an [`Error::Json`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The text is not JSON.
    Syntax,
    /// The text ended before the JSON did (truncated input).
    Eof,
    /// The JSON is valid but a member is missing, of the wrong type, or has
    /// a value outside its enum.
    Data,
}

/// A JSON problem and where it is.
///
/// Kept behind a `Box` in [`Error`] so that `Result<Finding, Error>` stays
/// small on the success path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// The JSON path, such as `Resources[0].Details.AwsS3Bucket.Name`, or
    /// `.` for the document itself.
    pub path: String,
    /// What is wrong, as serde words it.
    pub message: String,
    /// The line, from 1, or 0 when the input was not text.
    pub line: usize,
    /// The column, from 1, or 0 when the input was not text.
    pub column: usize,
    /// The kind of problem.
    pub kind: JsonErrorKind,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if self.line > 0 {
            write!(f, " (line {}, column {})", self.line, self.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for JsonError {}

impl JsonError {
    pub(crate) fn new(path: String, error: &serde_json::Error) -> Self {
        let kind = match error.classify() {
            serde_json::error::Category::Eof => JsonErrorKind::Eof,
            serde_json::error::Category::Data => JsonErrorKind::Data,
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                JsonErrorKind::Syntax
            }
        };
        let full = error.to_string();
        // serde_json appends " at line L column C" to the message; we report
        // them as fields instead.
        let message = match full.rfind(" at line ") {
            Some(at) if error.line() > 0 => full[..at].to_owned(),
            _ => full,
        };
        let mut path = path;
        // "missing field `Id`" is about a member, so the path names it.
        if let Some(member) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            path = if path == "." {
                member.to_owned()
            } else {
                format!("{path}.{member}")
            };
        }
        JsonError {
            path,
            message,
            line: error.line(),
            column: error.column(),
            kind,
        }
    }
}

impl From<JsonError> for Error {
    fn from(error: JsonError) -> Self {
        Error::Json(Box::new(error))
    }
}

/// A string that is not one of an enum's ASFF values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {type_name} `{value}`, expected one of {expected:?}")]
pub struct UnknownVariant {
    /// The enum's Rust name.
    pub type_name: &'static str,
    /// The text that was given.
    pub value: String,
    /// The values that are allowed.
    pub expected: &'static [&'static str],
}
