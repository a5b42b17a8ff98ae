//! [`AccountDirectory`] on AWS Organizations.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_organizations::types::ParentType;
use aws_sdk_organizations::Client;
use aws_smithy_types::date_time::Format;
use tokio::sync::Mutex;

use super::port_error;
use crate::account::AccountData;
use crate::ports::{AccountDirectory, PortError};

const PORT: &str = "AccountDirectory";

/// Account data from `DescribeAccount`, `ListTagsForResource`,
/// `ListParents` and `DescribeOrganizationalUnit`, cached per account.
///
/// Call it from the organization's management account or a delegated
/// administrator. IAM actions: `organizations:DescribeAccount`,
/// `organizations:ListTagsForResource`, `organizations:ListParents`,
/// `organizations:DescribeOrganizationalUnit`.
///
/// Accounts change rarely and Organizations throttles hard, so answers are
/// kept for `ttl` (15 minutes by default): a warm Lambda looks each account
/// up once.
#[derive(Debug)]
pub struct OrganizationsDirectory {
    client: Client,
    ttl: Duration,
    cache: Mutex<HashMap<String, (AccountData, Instant)>>,
}

impl OrganizationsDirectory {
    /// A directory that caches answers for 15 minutes.
    pub fn new(client: Client) -> Self {
        Self::with_ttl(client, Duration::from_secs(15 * 60))
    }

    /// A directory that caches answers for `ttl`.
    pub fn with_ttl(client: Client, ttl: Duration) -> Self {
        OrganizationsDirectory {
            client,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    async fn fetch(&self, account_id: &str) -> Result<AccountData, PortError> {
        let described = self
            .client
            .describe_account()
            .account_id(account_id)
            .send()
            .await
            .map_err(|e| port_error(PORT, "DescribeAccount", &e))?;
        let mut tags = BTreeMap::new();
        let mut next_token = None;
        loop {
            let page = self
                .client
                .list_tags_for_resource()
                .resource_id(account_id)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| port_error(PORT, "ListTagsForResource", &e))?;
            tags.extend(
                page.tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned())),
            );
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
        let mut data = AccountData::from_tags(account_id, tags);
        if let Some(account) = described.account() {
            data.name = account.name().map(str::to_owned);
            data.email = account.email().map(str::to_owned);
            data.joined_at = account
                .joined_timestamp()
                .and_then(|t| t.fmt(Format::DateTime).ok());
        }
        data.organizational_unit = self.organizational_unit(account_id).await?;
        Ok(data)
    }

    async fn organizational_unit(&self, account_id: &str) -> Result<Option<String>, PortError> {
        let parents = self
            .client
            .list_parents()
            .child_id(account_id)
            .send()
            .await
            .map_err(|e| port_error(PORT, "ListParents", &e))?;
        let Some(ou) = parents
            .parents()
            .iter()
            .find(|p| p.r#type() == Some(&ParentType::OrganizationalUnit))
            .and_then(|p| p.id())
        else {
            return Ok(None);
        };
        let described = self
            .client
            .describe_organizational_unit()
            .organizational_unit_id(ou)
            .send()
            .await
            .map_err(|e| port_error(PORT, "DescribeOrganizationalUnit", &e))?;
        Ok(described
            .organizational_unit()
            .and_then(|unit| unit.name())
            .map(str::to_owned))
    }
}

#[async_trait]
impl AccountDirectory for OrganizationsDirectory {
    async fn account(&self, account_id: &str) -> Result<AccountData, PortError> {
        if let Some((data, at)) = self.cache.lock().await.get(account_id) {
            if at.elapsed() < self.ttl {
                return Ok(data.clone());
            }
        }
        let data = self.fetch(account_id).await?;
        self.cache
            .lock()
            .await
            .insert(account_id.to_owned(), (data.clone(), Instant::now()));
        Ok(data)
    }
}
