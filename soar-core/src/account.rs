//! What soar knows about an AWS account: who owns it and what it is for.
//!
//! The data comes from AWS Organizations and these account tags, which
//! route tickets and weigh penalties:
//!
//! | Tag | Field |
//! | --- | --- |
//! | `soar:environment` | [`AccountData::environment`] |
//! | `soar:team` | [`AccountData::team`] |
//! | `soar:team:email` | [`AccountData::team_email`] |
//! | `soar:client` | [`AccountData::client`] |
//! | `soar:project` | [`AccountData::project`] |

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// The `soar:environment` tag.
pub const TAG_ENVIRONMENT: &str = "soar:environment";
/// The `soar:team` tag.
pub const TAG_TEAM: &str = "soar:team";
/// The `soar:team:email` tag.
pub const TAG_TEAM_EMAIL: &str = "soar:team:email";
/// The `soar:client` tag.
pub const TAG_CLIENT: &str = "soar:client";
/// The `soar:project` tag.
pub const TAG_PROJECT: &str = "soar:project";

/// One account and its owners.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountData {
    /// The 12-digit account ID.
    pub id: String,
    /// The account's name.
    pub name: Option<String>,
    /// The account's e-mail address.
    pub email: Option<String>,
    /// The environment, such as `prod` (`soar:environment`).
    pub environment: Option<String>,
    /// The owning team (`soar:team`).
    pub team: Option<String>,
    /// Where the team's tickets and mail go (`soar:team:email`).
    pub team_email: Option<String>,
    /// The client the account serves (`soar:client`).
    pub client: Option<String>,
    /// The project (`soar:project`).
    pub project: Option<String>,
    /// The organizational unit the account is in.
    pub organizational_unit: Option<String>,
    /// When the account joined the organization, RFC 3339.
    pub joined_at: Option<String>,
    /// All the account's tags.
    pub tags: BTreeMap<String, String>,
}

impl AccountData {
    /// Account data filled from a tag map, as Organizations returns it.
    pub fn from_tags(id: impl Into<String>, tags: BTreeMap<String, String>) -> Self {
        let tag = |name: &str| tags.get(name).cloned();
        AccountData {
            id: id.into(),
            environment: tag(TAG_ENVIRONMENT),
            team: tag(TAG_TEAM),
            team_email: tag(TAG_TEAM_EMAIL),
            client: tag(TAG_CLIENT),
            project: tag(TAG_PROJECT),
            tags,
            ..AccountData::default()
        }
    }

    /// Hours since the account joined, if that is known and parses.
    pub fn age_hours(&self, now: Timestamp) -> Option<i64> {
        let joined = Timestamp::parse(self.joined_at.as_deref()?).ok()?;
        Some((now.0 - joined.0) / 3_600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_fill_the_owner_fields() {
        let tags = BTreeMap::from([
            (TAG_ENVIRONMENT.to_owned(), "prod".to_owned()),
            (TAG_TEAM.to_owned(), "payments".to_owned()),
            (TAG_TEAM_EMAIL.to_owned(), "pay@example.com".to_owned()),
            (TAG_CLIENT.to_owned(), "acme".to_owned()),
            (TAG_PROJECT.to_owned(), "checkout".to_owned()),
        ]);
        let account = AccountData::from_tags("111122223333", tags);
        assert_eq!(account.environment.as_deref(), Some("prod"));
        assert_eq!(account.team_email.as_deref(), Some("pay@example.com"));
        assert_eq!(account.project.as_deref(), Some("checkout"));
        assert_eq!(account.tags.len(), 5);
    }

    #[test]
    fn age_is_counted_in_whole_hours() {
        let account = AccountData {
            joined_at: Some("2026-01-01T00:00:00Z".into()),
            ..AccountData::default()
        };
        let now = Timestamp::parse("2026-01-02T01:59:00Z").unwrap();
        assert_eq!(account.age_hours(now), Some(25));
        assert_eq!(AccountData::default().age_hours(now), None);
    }
}
