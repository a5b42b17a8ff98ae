//! [`Registry`]: every control, and everything derived from their metadata.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::remediation::Remediation;

/// The remediations, looked up by control ID.
///
/// `Registry::default()` holds every control compiled in (one cargo feature
/// per service); [`Registry::register`] adds your own. The IAM policy and the
/// catalogue are derived from the controls' metadata, never written by hand.
pub struct Registry {
    controls: Vec<Box<dyn Remediation>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.controls.iter().map(|c| c.meta().ids))
            .finish()
    }
}

/// A control ID registered twice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("control {0} is already registered")]
pub struct DuplicateControl(pub String);

/// Control IDs that no remediation handles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no remediation for control(s) {}", .0.join(", "))]
pub struct UnknownControls(pub Vec<String>);

impl Default for Registry {
    fn default() -> Self {
        Registry {
            controls: crate::controls::all(),
        }
    }
}

impl Registry {
    /// A registry with no controls.
    pub fn empty() -> Self {
        Registry {
            controls: Vec::new(),
        }
    }

    /// Adds a remediation.
    ///
    /// # Errors
    /// [`DuplicateControl`] when one of its IDs is already handled.
    pub fn register(&mut self, remediation: Box<dyn Remediation>) -> Result<(), DuplicateControl> {
        if let Some(id) = remediation
            .meta()
            .ids
            .iter()
            .find(|id| self.get(id).is_some())
        {
            return Err(DuplicateControl((*id).to_owned()));
        }
        self.controls.push(remediation);
        Ok(())
    }

    /// The remediation for a control ID.
    pub fn get(&self, control_id: &str) -> Option<&dyn Remediation> {
        self.controls
            .iter()
            .find(|c| {
                c.meta()
                    .ids
                    .iter()
                    .any(|id| id.eq_ignore_ascii_case(control_id))
            })
            .map(Box::as_ref)
    }

    /// Every remediation, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Remediation> {
        self.controls.iter().map(Box::as_ref)
    }

    /// Every control ID, sorted.
    pub fn control_ids(&self) -> Vec<&'static str> {
        let mut ids: Vec<_> = self
            .iter()
            .flat_map(|c| c.meta().ids.iter().copied())
            .collect();
        ids.sort_by_key(|id| natural_order(id));
        ids
    }

    /// The least-privilege IAM policy for every control: the union of the
    /// declared actions.
    pub fn iam_policy(&self) -> Value {
        policy(
            self.iter()
                .flat_map(|c| c.meta().iam_actions.iter().copied()),
        )
    }

    /// The IAM policy for some controls only.
    ///
    /// # Errors
    /// [`UnknownControls`] naming the IDs no remediation handles.
    pub fn iam_policy_for(&self, control_ids: &[&str]) -> Result<Value, UnknownControls> {
        let unknown: Vec<String> = control_ids
            .iter()
            .filter(|id| self.get(id).is_none())
            .map(|id| (*id).to_owned())
            .collect();
        if !unknown.is_empty() {
            return Err(UnknownControls(unknown));
        }
        Ok(policy(
            control_ids
                .iter()
                .filter_map(|id| self.get(id))
                .flat_map(|c| c.meta().iam_actions.iter().copied()),
        ))
    }

    /// A Markdown table of the controls, for `docs/controls.md`.
    pub fn catalogue_markdown(&self) -> String {
        let mut rows: Vec<_> = self.iter().map(|c| c.meta()).collect();
        rows.sort_by(|a, b| natural_order(a.ids[0]).cmp(&natural_order(b.ids[0])));
        let mut out = String::from(
            "| Control | Title | Service | Resource | IAM actions | Destructive | Exemption tag |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n",
        );
        for meta in rows {
            let actions: Vec<String> = meta.iam_actions.iter().map(|a| format!("`{a}`")).collect();
            out.push_str(&format!(
                "| {} | {} | {} | `{}` | {} | {} | {} |\n",
                meta.ids.join(", "),
                meta.title,
                meta.service,
                meta.resource_type,
                actions.join("<br>"),
                if meta.destructive { "yes" } else { "no" },
                meta.exemption_tag
                    .map_or("-".to_owned(), |t| format!("`{t}`")),
            ));
        }
        out
    }
}

impl soar_core::RemediableControls for Registry {
    fn is_remediable(&self, control_id: &str) -> bool {
        self.get(control_id).is_some()
    }
}

fn policy<'a>(actions: impl Iterator<Item = &'a str>) -> Value {
    let actions: BTreeSet<&str> = actions.collect();
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "SoarRemediations",
            "Effect": "Allow",
            "Action": actions,
            "Resource": "*",
        }],
    })
}

/// Sorts `S3.10` after `S3.9`.
fn natural_order(id: &str) -> (String, u32, String) {
    let (service, rest) = id.split_once('.').unwrap_or((id, ""));
    let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (
        service.to_ascii_uppercase(),
        number.parse().unwrap_or(u32::MAX),
        rest.to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(feature = "s3", feature = "kms", feature = "ecr", feature = "dynamodb"))]
    #[test]
    fn default_registry_has_every_control_of_this_release() {
        let ids = Registry::default().control_ids();
        assert_eq!(
            ids,
            [
                "DynamoDB.2",
                "DynamoDB.6",
                "ECR.1",
                "ECR.2",
                "ECR.3",
                "KMS.4",
                "S3.1",
                "S3.2",
                "S3.3",
                "S3.4",
                "S3.5",
                "S3.8",
                "S3.9",
                "S3.10",
                "S3.13"
            ]
        );
    }

    #[cfg(all(feature = "s3", feature = "kms", feature = "ecr", feature = "dynamodb"))]
    #[test]
    fn committed_controls_table_matches_the_registry() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/controls.md");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        let generated = Registry::default().catalogue_markdown();
        assert!(
            committed.contains(&generated),
            "docs/controls.md is out of date; regenerate it with `cargo run --bin soar -- controls --markdown`"
        );
    }

    #[test]
    fn metadata_is_well_formed_and_ids_are_unique() {
        let registry = Registry::default();
        let mut seen = BTreeSet::new();
        for control in registry.iter() {
            let meta = control.meta();
            assert!(!meta.ids.is_empty() && !meta.title.is_empty());
            assert!(
                !meta.iam_actions.is_empty(),
                "{:?} declares no IAM action",
                meta.ids
            );
            for action in meta.iam_actions {
                let (service, operation) = action.split_once(':').unwrap_or_default();
                assert!(
                    !service.is_empty() && operation.starts_with(|c: char| c.is_ascii_uppercase()),
                    "{action}"
                );
            }
            for id in meta.ids {
                assert!(
                    seen.insert(id.to_ascii_uppercase()),
                    "{id} is registered twice"
                );
            }
        }
    }

    #[test]
    fn an_empty_registry_takes_any_control() {
        let mut registry = Registry::empty();
        assert_eq!(registry.iter().count(), 0);
        for control in crate::controls::all() {
            registry.register(control).unwrap();
        }
        assert_eq!(registry.control_ids(), Registry::default().control_ids());
    }

    #[test]
    fn lookups_ignore_case() {
        let registry = Registry::default();
        for id in registry.control_ids() {
            assert!(registry.get(&id.to_ascii_lowercase()).is_some(), "{id}");
        }
        assert!(registry.get("EC2.999").is_none());
    }

    #[test]
    fn iam_policy_is_the_sorted_union_of_declared_actions() {
        let registry = Registry::default();
        let policy = registry.iam_policy();
        assert_eq!(policy["Version"], "2012-10-17");
        let statement = &policy["Statement"][0];
        assert_eq!(
            (statement["Effect"].as_str(), statement["Resource"].as_str()),
            (Some("Allow"), Some("*"))
        );
        let actions: Vec<&str> = statement["Action"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let expected: BTreeSet<&str> = registry
            .iter()
            .flat_map(|c| c.meta().iam_actions.iter().copied())
            .collect();
        assert_eq!(actions, expected.into_iter().collect::<Vec<_>>());
    }

    #[cfg(feature = "s3")]
    #[test]
    fn policy_for_some_controls_and_unknown_ids() {
        let registry = Registry::default();
        let policy = registry.iam_policy_for(&["S3.5"]).unwrap();
        assert_eq!(
            policy["Statement"][0]["Action"],
            json!(["s3:GetBucketPolicy", "s3:PutBucketPolicy"])
        );
        assert_eq!(
            registry.iam_policy_for(&["S3.5", "XYZ.1"]),
            Err(UnknownControls(vec!["XYZ.1".into()]))
        );
    }

    #[cfg(feature = "s3")]
    #[test]
    fn registering_a_handled_id_is_refused() {
        let mut registry = Registry::default();
        let s3 = registry.controls.remove(0);
        let id = s3.meta().ids[0];
        registry.register(s3).unwrap();
        let again = crate::controls::all()
            .into_iter()
            .find(|c| c.meta().ids.contains(&id))
            .unwrap();
        assert_eq!(
            registry.register(again),
            Err(DuplicateControl(id.to_owned()))
        );
    }
}

#[cfg(all(
    test,
    feature = "s3",
    feature = "kms",
    feature = "ecr",
    feature = "dynamodb"
))]
mod generated {
    use super::*;

    #[test]
    fn committed_iam_policy_matches_the_registry() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/iam-policy.json");
        let committed: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default())
                .unwrap_or_default();
        assert_eq!(
            committed,
            Registry::default().iam_policy(),
            "docs/iam-policy.json is out of date; regenerate it with `cargo run --bin soar -- iam-policy > docs/iam-policy.json`"
        );
    }
}
