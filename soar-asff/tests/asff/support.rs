//! Shared test helpers: reading fixtures and comparing JSON by value.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The workspace's `testdata/` directory.
pub(crate) fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// Every `.json` file in a `testdata/` subdirectory, sorted, with its bytes.
pub(crate) fn fixtures(dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(testdata().join(dir))
        .unwrap_or_else(|e| panic!("testdata/{dir}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in testdata/{dir}");
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

/// The first difference between two JSON documents, comparing numbers by
/// value (`2` equals `2.0`) and objects regardless of member order.
pub(crate) fn json_difference(left: &Value, right: &Value, path: &str) -> Option<String> {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => {
            let same = match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => a.as_f64() == b.as_f64(),
            };
            (!same).then(|| format!("{path}: {a} != {b}"))
        }
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys()) {
                let child = format!("{path}.{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => {
                        if let Some(difference) = json_difference(x, y, &child) {
                            return Some(difference);
                        }
                    }
                    (x, _) => {
                        let side = if x.is_some() { "right" } else { "left" };
                        return Some(format!("{child}: missing on the {side}"));
                    }
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Some(format!("{path}: length {} != {}", a.len(), b.len()));
            }
            a.iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| json_difference(x, y, &format!("{path}[{i}]")))
        }
        _ => (left != right).then(|| format!("{path}: {left} != {right}")),
    }
}

/// Asserts that `written` is JSON-equal to `original`.
pub(crate) fn assert_json_eq(name: &str, original: &Value, written: &Value) {
    if let Some(difference) = json_difference(original, written, "$") {
        panic!("{name}: the round trip changed the document at {difference}");
    }
}

#[test]
fn json_difference_compares_numbers_by_value_and_sees_missing_members() {
    let a: Value = serde_json::json!({"n": 2, "list": [1, {"x": "y"}]});
    let b: Value = serde_json::json!({"n": 2.0, "list": [1, {"x": "y"}]});
    assert_eq!(json_difference(&a, &b, "$"), None);
    let c: Value = serde_json::json!({"n": 2, "list": [1, {}]});
    assert_eq!(
        json_difference(&a, &c, "$").as_deref(),
        Some("$.list[1].x: missing on the right")
    );
    let d: Value = serde_json::json!({"n": 3, "list": [1, {"x": "y"}]});
    assert!(json_difference(&a, &d, "$").is_some());
}
