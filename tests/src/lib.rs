//! Helpers of the workspace's tests: the repository's `testdata/` and
//! `docs/`, and JSON compared by value.
//!
//! The tests here read files that no published package carries (the
//! published fixtures, the generated findings, the committed controls
//! table and IAM policy), so they live in this `publish = false` member,
//! and each published crate keeps only the tests its own package can run.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The repository's root directory.
pub fn repository() -> PathBuf {
    let this_member = Path::new(env!("CARGO_MANIFEST_DIR"));
    this_member.parent().unwrap_or(this_member).to_path_buf()
}

/// The repository's `testdata/` directory.
pub fn testdata() -> PathBuf {
    repository().join("testdata")
}

/// Every `.json` file of `testdata/<dir>`, sorted by name, with its bytes.
///
/// # Panics
///
/// When the directory cannot be read or holds no `.json` file: a test
/// without its fixtures must not pass by testing nothing.
pub fn fixtures(dir: &str) -> Vec<(String, Vec<u8>)> {
    let root = testdata().join(dir);
    let entries =
        std::fs::read_dir(&root).unwrap_or_else(|error| panic!("{}: {error}", root.display()));
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in testdata/{dir}");
    files
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes =
                std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            (name, bytes)
        })
        .collect()
}

/// The lines of a JSON-lines file of `testdata/`, each with its line
/// number (from 1).
///
/// # Panics
///
/// When the file cannot be read or has no line.
pub fn json_lines(file: &str) -> Vec<(usize, String)> {
    let path = testdata().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let lines: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| (index + 1, line.to_owned()))
        .collect();
    assert!(!lines.is_empty(), "no lines in testdata/{file}");
    lines
}

/// Asserts that `written` is JSON-equal to `original` (numbers by value,
/// members in any order), naming the first difference.
///
/// # Panics
///
/// When they differ.
pub fn assert_json_eq(name: &str, original: &Value, written: &Value) {
    if let Some(difference) = soar_asff::strategy::json_difference(original, written) {
        panic!("{name}: the round trip changed the document at {difference}");
    }
}
