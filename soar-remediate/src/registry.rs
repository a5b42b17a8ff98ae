//! [`Registry`]: every control, and everything derived from their metadata.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::iam::{resource_scope, ResourceScope, ANY_RESOURCE};
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
    /// declared actions, one statement per resource type, each scoped to
    /// the resources its actions can be granted on (see
    /// [`crate::iam::resource_scope`]). The ARNs are CloudFormation `Fn::Sub`
    /// strings with `${AWS::Partition}` and `${AWS::AccountId}`.
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
        let mut rows: Vec<_> = self
            .iter()
            .map(|c| (c.meta(), c.destructive_step()))
            .collect();
        rows.sort_by(|(a, _), (b, _)| natural_order(a.ids[0]).cmp(&natural_order(b.ids[0])));
        let mut out = String::from(
            "| Control | Title | Service | Resource | IAM actions | Destructive | Exemption tag |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n",
        );
        for (meta, step) in rows {
            let actions: Vec<String> = meta.iam_actions.iter().map(|a| format!("`{a}`")).collect();
            out.push_str(&format!(
                "| {} | {} | {} | `{}` | {} | {} | {} |\n",
                meta.ids.join(", "),
                meta.title,
                meta.service,
                meta.resource_type,
                actions.join("<br>"),
                match (meta.destructive, step) {
                    (true, _) => "yes".to_owned(),
                    (false, Some(step)) => format!("only when allowed: {step}"),
                    (false, None) => "no".to_owned(),
                },
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

    fn is_destructive(&self, control_id: &str) -> bool {
        self.get(control_id).is_some_and(|c| c.meta().destructive)
    }
}

fn policy<'a>(actions: impl Iterator<Item = &'a str>) -> Value {
    let mut by_scope: BTreeMap<ResourceScope, BTreeSet<&str>> = BTreeMap::new();
    for action in actions {
        let scope = resource_scope(action).unwrap_or(ANY_RESOURCE);
        by_scope.entry(scope).or_default().insert(action);
    }
    let statements: Vec<Value> = by_scope
        .into_iter()
        .map(|(scope, actions)| {
            json!({
                "Sid": scope.sid,
                "Effect": "Allow",
                "Action": actions,
                "Resource": match scope.arns {
                    [one] => json!(one),
                    several => json!(several),
                },
            })
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
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

    #[test]
    fn every_control_file_is_registered_under_its_service() {
        // build.rs registers each file of `src/controls/<service>/`; seen
        // from outside, each compiled-in service directory has as many
        // controls in the registry as it has files, and each control's
        // service is its directory.
        let registry = Registry::default();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/controls");
        let mut files_seen = 0;
        for service in std::fs::read_dir(&dir).unwrap() {
            let service = service.unwrap().path();
            if !service.is_dir() {
                continue;
            }
            let name = service.file_name().unwrap().to_str().unwrap().to_owned();
            let files = std::fs::read_dir(&service)
                .unwrap()
                .filter(|f| {
                    let f = f.as_ref().unwrap().path();
                    f.extension().is_some_and(|e| e == "rs")
                        && f.file_name().is_some_and(|n| n != "mod.rs")
                })
                .count();
            let registered = registry
                .iter()
                .filter(|c| c.meta().service.to_string() == name)
                .count();
            if registered > 0 {
                assert_eq!(registered, files, "service {name}");
                files_seen += files;
            }
        }
        assert_eq!(
            files_seen,
            registry.iter().count(),
            "a control outside its service's directory"
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
                meta.resource_type.starts_with("Aws") && !meta.resource_type.contains(' '),
                "{:?}: {} is not an ASFF resource type",
                meta.ids,
                meta.resource_type
            );
            for id in meta.ids {
                let (prefix, number) = id.split_once('.').unwrap_or_default();
                assert!(
                    !prefix.is_empty() && number.parse::<u32>().is_ok(),
                    "{id} is not a Security Hub control ID"
                );
            }
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
    fn every_declared_action_is_granted_once_on_its_resource_type() {
        let registry = Registry::default();
        let policy = registry.iam_policy();
        assert_eq!(policy["Version"], "2012-10-17");
        let mut granted = BTreeSet::new();
        for statement in policy["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            // One ARN is a string; several, a list.
            let resources: Vec<&str> = match &statement["Resource"] {
                Value::Array(all) => all.iter().map(|r| r.as_str().unwrap()).collect(),
                one => vec![one.as_str().unwrap()],
            };
            for action in statement["Action"].as_array().unwrap() {
                let action = action.as_str().unwrap();
                assert!(granted.insert(action), "{action} is granted twice");
                for resource in &resources {
                    if *resource == "*" {
                        assert!(
                            crate::iam::ACTIONS_WITHOUT_RESOURCE_TYPES.contains(&action),
                            "{action} is granted on every resource, but has a resource type"
                        );
                    } else {
                        let service = action.split_once(':').unwrap().0;
                        assert!(
                            resource.starts_with(&format!("arn:${{AWS::Partition}}:{service}:")),
                            "{action} is granted on {resource}"
                        );
                    }
                }
            }
        }
        for control in registry.iter() {
            for action in control.meta().iam_actions {
                assert!(granted.contains(action), "{action} is not granted");
            }
        }
    }

    #[cfg(feature = "s3")]
    #[test]
    fn policy_for_some_controls_and_unknown_ids() {
        let registry = Registry::default();
        // Written out by hand: what S3.1 and S3.5 need, and where.
        let expected = json!({
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "SoarS3Buckets",
                    "Effect": "Allow",
                    "Action": ["s3:GetBucketPolicy", "s3:PutBucketPolicy"],
                    "Resource": "arn:${AWS::Partition}:s3:::*",
                },
                {
                    "Sid": "SoarActionsWithoutResourceTypes",
                    "Effect": "Allow",
                    "Action": ["s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock"],
                    "Resource": "*",
                },
            ],
        });
        let mut policy = registry.iam_policy_for(&["S3.5", "s3.1"]).unwrap();
        // Statement order follows the scopes' order; compare as sets.
        let sort = |v: &mut Value| {
            v["Statement"]
                .as_array_mut()
                .unwrap()
                .sort_by_key(|s| s["Sid"].as_str().map(str::to_owned));
        };
        let mut expected = expected;
        sort(&mut policy);
        sort(&mut expected);
        assert_eq!(policy, expected);
        assert_eq!(
            registry.iam_policy_for(&["S3.5", "XYZ.1"]),
            Err(UnknownControls(vec!["XYZ.1".into()]))
        );
    }

    #[test]
    fn no_control_declares_an_action_twice() {
        // Every change a plan names is checked against these declarations
        // in each control's tests, with `testkit::assert_changes_declared`.
        for control in Registry::default().iter() {
            let meta = control.meta();
            let mut seen = BTreeSet::new();
            for action in meta.iam_actions {
                assert!(
                    seen.insert(action),
                    "{:?} declares {action} twice",
                    meta.ids
                );
            }
        }
    }

    #[cfg(all(feature = "s3", feature = "ecr"))]
    #[test]
    fn controls_that_delete_data_are_destructive() {
        use soar_core::RemediableControls;
        let registry = Registry::default();
        for id in ["S3.10", "ECR.3"] {
            assert!(registry.is_destructive(id), "{id} deletes data");
        }
        for id in ["S3.2", "S3.5", "ECR.1"] {
            assert!(!registry.is_destructive(id), "{id}");
        }
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
