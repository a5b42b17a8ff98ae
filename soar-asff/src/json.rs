//! Parsing and writing with located errors.

use serde::{Deserialize, Serialize};

use crate::error::{Error, JsonError};

/// The path of the document itself, as `serde_path_to_error` writes it.
const ROOT: &str = ".";

/// Parses `bytes` into `T`.
///
/// The first attempt runs at full speed with no path tracking. Only when it
/// fails is the input parsed again through `serde_path_to_error`, to find
/// where.
pub(crate) fn parse_json<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Error> {
    let fast = match as_text(bytes) {
        Some(text) => serde_json::from_str(text),
        None => serde_json::from_slice(bytes),
    };
    fast.map_err(|fast_error| locate::<T>(bytes, fast_error))
}

/// `bytes` as text, when it is UTF-8. Checking the whole input at once (a
/// fast, word-at-a-time pass) spares serde_json from checking each string
/// as it reads it, which is a tenth of the time of a typed parse. Input
/// that is not UTF-8 is read as bytes, so that the error says where.
pub(crate) fn as_text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

fn locate<'de, T: Deserialize<'de>>(bytes: &'de [u8], fast_error: serde_json::Error) -> Error {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let located = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(error) => JsonError::new(error.path().to_string(), error.inner()),
        // Only trailing text can fail after a successful value.
        Ok(_) => match deserializer.end() {
            Err(error) => JsonError::new(ROOT.to_owned(), &error),
            Ok(()) => JsonError::new(ROOT.to_owned(), &fast_error),
        },
    };
    located.into()
}

/// Converts an already parsed `serde_json::Value` into `T`.
pub(crate) fn from_value<'de, T: Deserialize<'de>>(value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(value)
        .map_err(|error| JsonError::new(error.path().to_string(), error.inner()).into())
}

/// Writes `value` as compact JSON.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|error| JsonError::new(ROOT.to_owned(), &error).into())
}

/// Writes `value` as a `serde_json::Value`.
pub(crate) fn to_value<T: Serialize>(value: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|error| JsonError::new(ROOT.to_owned(), &error).into())
}
