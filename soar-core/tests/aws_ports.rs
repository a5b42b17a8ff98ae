//! The AWS implementations of the ports, against aws-smithy-mocks: the
//! requests they send, what they make of the answers, throttling, partial
//! batch failures, access denied and missing resources.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_async::test_util::InstantSleep;
use aws_smithy_types::DateTime;
use soar_asff::{Finding, SeverityLabel, WorkflowStatus};
use soar_core::aws::{
    AmbientSessions, AssumeRoleSessions, DynamoRecords, OrganizationsDirectory, SecurityHubUpdater,
    SessionFactory, TableNames,
};
use soar_core::error_class::ErrorClass;
use soar_core::ports::{
    AccountDirectory, EventRecord, FindingRef, FindingUpdate, FindingUpdater, RecordKind,
    RecordStore, TicketRecord,
};
use soar_core::testkit::aws_error;
use soar_core::testkit::aws_smithy_mocks::{mock, mock_client, RuleMode};
use soar_core::{AwsRetry, Location};

mod organizations {
    use aws_sdk_organizations::operation::describe_account::{
        DescribeAccountError, DescribeAccountOutput,
    };
    use aws_sdk_organizations::operation::describe_organizational_unit::DescribeOrganizationalUnitOutput;
    use aws_sdk_organizations::operation::list_parents::ListParentsOutput;
    use aws_sdk_organizations::operation::list_tags_for_resource::ListTagsForResourceOutput;
    use aws_sdk_organizations::types::{Account, OrganizationalUnit, Parent, ParentType, Tag};
    use aws_sdk_organizations::Client;

    use super::*;

    fn tag(key: &str, value: &str) -> Tag {
        Tag::builder().key(key).value(value).build().unwrap()
    }

    #[tokio::test]
    async fn account_data_comes_from_organizations_and_tags_and_is_cached() {
        let describe = mock!(Client::describe_account)
            .match_requests(|r| r.account_id() == Some("222222222222"))
            .then_output(|| {
                DescribeAccountOutput::builder()
                    .account(
                        Account::builder()
                            .id("222222222222")
                            .name("payments-prod")
                            .email("aws+payments@example.com")
                            .joined_timestamp(DateTime::from_secs(1_609_459_200))
                            .build(),
                    )
                    .build()
            });
        // Two pages of tags.
        let tags = mock!(Client::list_tags_for_resource)
            .sequence()
            .output(|| {
                ListTagsForResourceOutput::builder()
                    .tags(tag("soar:environment", "prod"))
                    .tags(tag("soar:team", "payments"))
                    .next_token("page-2")
                    .build()
            })
            .output(|| {
                ListTagsForResourceOutput::builder()
                    .tags(tag("soar:team:email", "payments@example.com"))
                    .tags(tag("cost-centre", "42"))
                    .build()
            })
            .build();
        let parents = mock!(Client::list_parents).then_output(|| {
            ListParentsOutput::builder()
                .parents(
                    Parent::builder()
                        .id("ou-ab12-cdef3456")
                        .r#type(ParentType::OrganizationalUnit)
                        .build(),
                )
                .build()
        });
        let ou = mock!(Client::describe_organizational_unit)
            .match_requests(|r| r.organizational_unit_id() == Some("ou-ab12-cdef3456"))
            .then_output(|| {
                DescribeOrganizationalUnitOutput::builder()
                    .organizational_unit(OrganizationalUnit::builder().name("Workloads").build())
                    .build()
            });
        let client = mock_client!(
            aws_sdk_organizations,
            RuleMode::MatchAny,
            [&describe, &tags, &parents, &ou]
        );
        let directory = OrganizationsDirectory::new(client);

        let account = directory.account("222222222222").await.unwrap();
        assert_eq!(account.name.as_deref(), Some("payments-prod"));
        assert_eq!(account.email.as_deref(), Some("aws+payments@example.com"));
        assert_eq!(account.joined_at.as_deref(), Some("2021-01-01T00:00:00Z"));
        assert_eq!(account.environment.as_deref(), Some("prod"));
        assert_eq!(account.team.as_deref(), Some("payments"));
        assert_eq!(account.team_email.as_deref(), Some("payments@example.com"));
        assert_eq!(account.organizational_unit.as_deref(), Some("Workloads"));
        assert_eq!(
            account.tags.get("cost-centre").map(String::as_str),
            Some("42")
        );

        let again = directory.account("222222222222").await.unwrap();
        assert_eq!(again, account);
        assert_eq!(
            (describe.num_calls(), tags.num_calls(), ou.num_calls()),
            (1, 2, 1)
        );
    }

    #[tokio::test]
    async fn unknown_account_and_denied_access_are_classified() {
        for (code, class) in [
            ("AccountNotFoundException", ErrorClass::NotFound),
            ("AccessDeniedException", ErrorClass::AccessDenied),
            ("TooManyRequestsException", ErrorClass::Throttled),
        ] {
            let describe = mock!(Client::describe_account)
                .then_error(move || DescribeAccountError::generic(aws_error(code, "no")));
            let client = mock_client!(
                aws_sdk_organizations,
                RuleMode::MatchAny,
                [&describe],
                |c| c.retry_config(aws_sdk_organizations::config::retry::RetryConfig::disabled())
            );
            let error = OrganizationsDirectory::new(client)
                .account("999999999999")
                .await
                .unwrap_err();
            assert_eq!(
                (error.class, error.operation),
                (class, "DescribeAccount"),
                "{code}"
            );
            assert!(error.to_string().contains(code), "{error}");
        }
    }
}

mod securityhub {
    use aws_sdk_securityhub::operation::batch_import_findings::BatchImportFindingsOutput;
    use aws_sdk_securityhub::operation::batch_update_findings::{
        BatchUpdateFindingsError, BatchUpdateFindingsOutput,
    };
    use aws_sdk_securityhub::types::{
        AwsSecurityFindingIdentifier, BatchUpdateFindingsUnprocessedFinding, ImportFindingsError,
    };
    use aws_sdk_securityhub::Client;

    use super::*;

    fn refs(n: usize) -> Vec<FindingRef> {
        (0..n)
            .map(|i| FindingRef {
                id: format!("f-{i}"),
                product_arn: "arn:aws:securityhub:eu-west-1::product/aws/securityhub".into(),
            })
            .collect()
    }

    fn identifier(f: &AwsSecurityFindingIdentifier) -> AwsSecurityFindingIdentifier {
        f.clone()
    }

    fn updater(client: Client) -> SecurityHubUpdater {
        SecurityHubUpdater::new(client).updated_by("soar-test")
    }

    fn no_retry() -> aws_sdk_securityhub::config::retry::RetryConfig {
        aws_sdk_securityhub::config::retry::RetryConfig::disabled()
    }

    /// A client that retries as soar configures every client, from
    /// `AwsRetry`, and sleeps instantly while recording the delays.
    fn retrying_client(
        rule: &soar_core::testkit::aws_smithy_mocks::Rule,
        retry: AwsRetry,
    ) -> (Client, InstantSleep) {
        let sleep = InstantSleep::unlogged();
        let recorded = sleep.clone();
        // Stalled-stream protection sleeps too (a grace period per
        // response); off, the recorded delays are the retry backoffs alone.
        let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, [rule], |c| c
            .retry_config(retry.retry_config())
            .stalled_stream_protection(
                aws_sdk_securityhub::config::StalledStreamProtectionConfig::disabled()
            )
            .sleep_impl(recorded.clone()));
        (client, sleep)
    }

    #[tokio::test]
    async fn updates_go_in_batches_of_one_hundred_with_the_requested_change() {
        let rule = mock!(Client::batch_update_findings)
            .match_requests(|r| {
                r.finding_identifiers().len() <= 100
                    && r.workflow().and_then(|w| w.status()).map(|s| s.as_str())
                        == Some("SUPPRESSED")
                    && r.note().map(|n| (n.text(), n.updated_by()))
                        == Some((Some("why"), Some("soar-test")))
                    && r.severity().is_none()
            })
            .then_compute_output(|r| {
                BatchUpdateFindingsOutput::builder()
                    .set_processed_findings(Some(
                        r.finding_identifiers().iter().map(identifier).collect(),
                    ))
                    .build()
            });
        let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, [&rule], |c| c
            .retry_config(no_retry()));
        let update = FindingUpdate {
            findings: refs(250),
            workflow_status: Some(WorkflowStatus::Suppressed),
            note: Some("why".into()),
            ..FindingUpdate::default()
        };
        let report = updater(client).update(&update).await.unwrap();
        assert_eq!(rule.num_calls(), 3);
        assert_eq!(report.processed.len(), 250);
        assert!(report.is_complete());
    }

    #[tokio::test]
    async fn unprocessed_findings_are_reported_one_by_one() {
        let rule = mock!(Client::batch_update_findings).then_compute_output(|r| {
            let (first, rest) = r.finding_identifiers().split_first().unwrap();
            BatchUpdateFindingsOutput::builder()
                .set_processed_findings(Some(rest.to_vec()))
                .unprocessed_findings(
                    BatchUpdateFindingsUnprocessedFinding::builder()
                        .finding_identifier(first.clone())
                        .error_code("FindingNotFound")
                        .error_message("no such finding")
                        .build(),
                )
                .build()
        });
        let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, [&rule], |c| c
            .retry_config(no_retry()));
        let update = FindingUpdate {
            findings: refs(3),
            severity: Some(SeverityLabel::Informational),
            ..FindingUpdate::default()
        };
        let report = updater(client).update(&update).await.unwrap();
        assert_eq!(report.processed.len(), 2);
        assert_eq!(report.failed.len(), 1);
        assert_eq!(
            (
                report.failed[0].finding.id.as_str(),
                report.failed[0].code.as_str()
            ),
            ("f-0", "FindingNotFound")
        );
    }

    #[tokio::test]
    async fn throttled_batches_are_retried_by_the_sdk_with_capped_backoff() {
        let rule = mock!(Client::batch_update_findings)
            .sequence()
            .error(|| {
                BatchUpdateFindingsError::generic(aws_error("ThrottlingException", "Rate exceeded"))
            })
            .times(2)
            .output(|| BatchUpdateFindingsOutput::builder().build())
            .build();
        let retry = AwsRetry {
            max_attempts: 3,
            initial_backoff_ms: 100,
            max_backoff_ms: 150,
        };
        let (client, sleep) = retrying_client(&rule, retry);
        let update = FindingUpdate {
            findings: refs(1),
            workflow_status: Some(WorkflowStatus::Resolved),
            ..FindingUpdate::default()
        };
        let report = updater(client).update(&update).await.unwrap();
        assert!(report.is_complete(), "{report:?}");
        assert_eq!(rule.num_calls(), 3);
        let delays = sleep.logs();
        assert_eq!(delays.len(), 2, "{delays:?}");
        assert!(
            delays.iter().all(|d| *d <= Duration::from_millis(150)),
            "every wait is capped at max_backoff_ms: {delays:?}"
        );
    }

    #[tokio::test]
    async fn a_batch_throttled_for_good_is_sent_max_attempts_times_and_reported() {
        let rule = mock!(Client::batch_update_findings)
            .sequence()
            .error(|| {
                BatchUpdateFindingsError::generic(aws_error("ThrottlingException", "Rate exceeded"))
            })
            .times(10)
            .build();
        let (client, sleep) = retrying_client(&rule, AwsRetry::default());
        let update = FindingUpdate {
            findings: refs(2),
            workflow_status: Some(WorkflowStatus::Notified),
            ..FindingUpdate::default()
        };
        let report = updater(client).update(&update).await.unwrap();
        // One retry layer: the SDK's attempts, and not one call more.
        assert_eq!(rule.num_calls(), AwsRetry::default().max_attempts as usize);
        assert_eq!(sleep.logs().len(), 3);
        assert_eq!(report.failed.len(), 2);
        assert_eq!(report.failed[0].code, "throttled");
        assert!(report.failed[0].message.contains("Rate exceeded"));
    }

    #[tokio::test]
    async fn a_denied_batch_fails_its_findings_and_the_others_go_through() {
        let rule = mock!(Client::batch_update_findings).then_compute_response(|r| {
            use soar_core::testkit::aws_smithy_mocks::MockResponse;
            if r.finding_identifiers().len() == 100 {
                MockResponse::Error(BatchUpdateFindingsError::generic(aws_error(
                    "AccessDeniedException",
                    "denied",
                )))
            } else {
                MockResponse::Output(
                    BatchUpdateFindingsOutput::builder()
                        .set_processed_findings(Some(r.finding_identifiers().to_vec()))
                        .build(),
                )
            }
        });
        let (client, sleep) = retrying_client(&rule, AwsRetry::default());
        let update = FindingUpdate {
            findings: refs(130),
            workflow_status: Some(WorkflowStatus::Notified),
            ..FindingUpdate::default()
        };
        let report = updater(client).update(&update).await.unwrap();
        assert_eq!((report.processed.len(), report.failed.len()), (30, 100));
        assert_eq!(report.failed[0].code, "access denied");
        assert_eq!(rule.num_calls(), 2);
        assert!(sleep.logs().is_empty(), "access denied must not be retried");
    }

    #[tokio::test]
    async fn imports_report_failed_findings_and_carry_the_finding() {
        let finding = Finding {
            id: "arn:aws:guardduty:us-east-1:111111111111:detector/d/finding/f".into(),
            product_arn: "arn:aws:securityhub:us-east-1::product/aws/guardduty".into(),
            generator_id: "arn:aws:guardduty:us-east-1:111111111111:detector/d".into(),
            aws_account_id: "111111111111".into(),
            title: "Unusual API calls".into(),
            description: "A principal made unusual API calls.".into(),
            resources: vec![soar_asff::Resource {
                resource_type: "AwsIamAccessKey".into(),
                id: "AKIAIOSFODNN7EXAMPLE".into(),
                ..soar_asff::Resource::default()
            }],
            ..Finding::default()
        };
        let mut second = finding.clone();
        second.id.push_str("-reassigned-222222222222");
        second.aws_account_id = "222222222222".into();
        let rule = mock!(Client::batch_import_findings)
            .match_requests(|r| {
                r.findings().len() == 2 && r.findings()[1].aws_account_id() == Some("222222222222")
            })
            .then_compute_output(|r| {
                BatchImportFindingsOutput::builder()
                    .failed_count(1)
                    .success_count(1)
                    .failed_findings(
                        ImportFindingsError::builder()
                            .id(r.findings()[0].id().unwrap())
                            .error_code("InvalidInput")
                            .error_message("bad")
                            .build(),
                    )
                    .build()
            });
        let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, [&rule], |c| c
            .retry_config(no_retry()));
        let report = updater(client)
            .import(&[finding.clone(), second.clone()])
            .await
            .unwrap();
        assert_eq!(rule.num_calls(), 1);
        assert_eq!(report.processed, [FindingRef::from(&second)]);
        assert_eq!(report.failed[0].finding, FindingRef::from(&finding));
        assert_eq!(report.failed[0].code, "InvalidInput");
    }
}

mod dynamodb {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::operation::get_item::{GetItemError, GetItemOutput};
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_sdk_dynamodb::Client;

    use super::*;

    fn tables() -> TableNames {
        TableNames {
            tickets: "soar-tickets".into(),
            incidents: "soar-incidents".into(),
            autoremediations: "soar-autoremediations".into(),
        }
    }

    fn ticket() -> TicketRecord {
        TicketRecord {
            ticket_id: "SOAR-1".into(),
            finding_id: "f-1".into(),
            account_id: "111111111111".into(),
            control_id: Some("S3.2".into()),
            team: Some("payments".into()),
            title: "Bucket is public".into(),
            penalty_score: Some(16.9),
            opened_at: 1_700_000_000,
            closed_at: None,
            expires_at: 1_731_536_000,
            ..TicketRecord::default()
        }
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    #[tokio::test]
    async fn tickets_are_written_with_their_ttl_and_read_back() {
        let put = mock!(Client::put_item)
            .match_requests(|r| {
                let item = r.item().unwrap();
                r.table_name() == Some("soar-tickets")
                    && item.get("finding_id") == Some(&s("f-1"))
                    && item.get("expires_at") == Some(&AttributeValue::N("1731536000".into()))
                    && item.get("penalty_score") == Some(&AttributeValue::N("16.9".into()))
                    && !item.contains_key("closed_at")
            })
            .then_output(|| PutItemOutput::builder().build());
        // The item the put wrote, as GetItem would return it.
        let stored: HashMap<String, AttributeValue> = HashMap::from([
            ("finding_id".into(), s("f-1")),
            ("ticket_id".into(), s("SOAR-1")),
            ("account_id".into(), s("111111111111")),
            ("control_id".into(), s("S3.2")),
            ("team".into(), s("payments")),
            ("title".into(), s("Bucket is public")),
            ("penalty_score".into(), AttributeValue::N("16.9".into())),
            ("opened_at".into(), AttributeValue::N("1700000000".into())),
            ("expires_at".into(), AttributeValue::N("1731536000".into())),
        ]);
        let get = mock!(Client::get_item)
            .match_requests(|r| {
                r.table_name() == Some("soar-tickets")
                    && r.key().unwrap().get("finding_id") == Some(&s("f-1"))
            })
            .then_output(move || {
                GetItemOutput::builder()
                    .set_item(Some(stored.clone()))
                    .build()
            });
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&put, &get]);
        let records = DynamoRecords::new(client, tables());
        records.put_ticket(&ticket()).await.unwrap();
        assert_eq!(records.open_ticket("f-1").await.unwrap(), Some(ticket()));
        assert_eq!((put.num_calls(), get.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn an_unsent_claim_keeps_its_state_severity_due_time_and_reason() {
        use soar_asff::SeverityLabel;
        let claim = TicketRecord {
            sent: false,
            last_error: Some("Jira.open failed (other): HTTP 503".into()),
            severity: Some(SeverityLabel::High),
            due_at: Some(1_700_028_800),
            project: Some("SEC".into()),
            ..ticket()
        };
        let written = std::sync::Arc::new(std::sync::Mutex::new(None));
        let keep = written.clone();
        let put = mock!(Client::put_item)
            .match_requests(move |r| {
                *keep.lock().unwrap() = r.item().cloned();
                true
            })
            .then_output(|| PutItemOutput::builder().build());
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&put]);
        DynamoRecords::new(client, tables())
            .put_ticket(&claim)
            .await
            .unwrap();
        let item = written.lock().unwrap().clone().unwrap();
        assert_eq!(item.get("sent"), Some(&AttributeValue::Bool(false)));
        assert_eq!(item.get("severity"), Some(&s("HIGH")));
        assert_eq!(
            item.get("due_at"),
            Some(&AttributeValue::N("1700028800".into()))
        );
        assert_eq!(item.get("project"), Some(&s("SEC")));
        // What was written reads back as the same record.
        let get = mock!(Client::get_item).then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(item.clone()))
                .build()
        });
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&get]);
        let read = DynamoRecords::new(client, tables())
            .open_ticket("f-1")
            .await
            .unwrap();
        assert_eq!(read, Some(claim));
    }

    #[tokio::test]
    async fn open_tickets_scans_every_page_for_tickets_without_closed_at() {
        use aws_sdk_dynamodb::operation::scan::ScanOutput;
        let item = |finding: &str| {
            HashMap::from([
                ("finding_id".to_owned(), s(finding)),
                ("ticket_id".to_owned(), s("SEC-1")),
                (
                    "opened_at".to_owned(),
                    AttributeValue::N("1700000000".into()),
                ),
                ("severity".to_owned(), s("CRITICAL")),
            ])
        };
        let first = mock!(Client::scan)
            .match_requests(|r| {
                r.table_name() == Some("soar-tickets")
                    && r.filter_expression() == Some("attribute_not_exists(closed_at)")
                    && r.exclusive_start_key().is_none()
            })
            .then_output(move || {
                ScanOutput::builder()
                    .items(item("f-1"))
                    .set_last_evaluated_key(Some(HashMap::from([(
                        "finding_id".to_owned(),
                        s("f-1"),
                    )])))
                    .build()
            });
        let second = mock!(Client::scan)
            .match_requests(|r| {
                r.exclusive_start_key()
                    .is_some_and(|k| k.get("finding_id") == Some(&s("f-1")))
            })
            .then_output(move || ScanOutput::builder().items(item("f-2")).build());
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&second, &first]);
        let open = DynamoRecords::new(client, tables())
            .open_tickets()
            .await
            .unwrap();
        let findings: Vec<&str> = open.iter().map(|t| t.finding_id.as_str()).collect();
        assert_eq!(findings, ["f-1", "f-2"]);
        assert_eq!(open[0].severity, Some(soar_asff::SeverityLabel::Critical));
        assert!(open[0].sent, "an item without `sent` was sent");
        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn history_scans_the_three_tables_from_the_window_start() {
        use aws_sdk_dynamodb::operation::scan::ScanOutput;
        let since = AttributeValue::N("1699000000".into());
        let window = since.clone();
        let tickets = mock!(Client::scan)
            .match_requests(move |r| {
                r.table_name() == Some("soar-tickets")
                    && r.filter_expression()
                        .is_some_and(|f| f.contains("opened_at >= :since"))
                    && r.expression_attribute_values()
                        .and_then(|v| v.get(":since"))
                        == Some(&window)
            })
            .then_output(|| {
                ScanOutput::builder()
                    .items(HashMap::from([
                        ("finding_id".to_owned(), s("f-1")),
                        ("ticket_id".to_owned(), s("SEC-1")),
                        (
                            "opened_at".to_owned(),
                            AttributeValue::N("1699500000".into()),
                        ),
                        (
                            "closed_at".to_owned(),
                            AttributeValue::N("1699600000".into()),
                        ),
                    ]))
                    .build()
            });
        let event = |table: &'static str, kind: &'static str| {
            let window = since.clone();
            mock!(Client::scan)
                .match_requests(move |r| {
                    r.table_name() == Some(table)
                        && r.filter_expression() == Some("#at >= :since")
                        && r.expression_attribute_names().and_then(|n| n.get("#at"))
                            == Some(&"at".to_owned())
                        && r.expression_attribute_values()
                            .and_then(|v| v.get(":since"))
                            == Some(&window)
                })
                .then_output(move || {
                    ScanOutput::builder()
                        .items(HashMap::from([
                            ("finding_id".to_owned(), s("f-2")),
                            ("at".to_owned(), AttributeValue::N("1699700000".into())),
                            ("kind".to_owned(), s(kind)),
                            ("outcome".to_owned(), s("done")),
                            ("severity".to_owned(), s("MEDIUM")),
                        ]))
                        .build()
                })
        };
        let incidents = event("soar-incidents", "Recon:EC2/Portscan");
        let fixes = event("soar-autoremediations", "S3.8");
        let client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&tickets, &incidents, &fixes]
        );
        let history = DynamoRecords::new(client, tables())
            .history(1_699_000_000)
            .await
            .unwrap();
        assert_eq!(history.tickets.len(), 1);
        assert_eq!(history.tickets[0].closed_at, Some(1_699_600_000));
        assert_eq!(history.incidents[0].kind, "Recon:EC2/Portscan");
        assert_eq!(history.autoremediations[0].kind, "S3.8");
        assert_eq!(
            history.autoremediations[0].severity,
            Some(soar_asff::SeverityLabel::Medium)
        );
        assert_eq!(
            (
                tickets.num_calls(),
                incidents.num_calls(),
                fixes.num_calls()
            ),
            (1, 1, 1)
        );
    }

    #[tokio::test]
    async fn a_ticket_opens_once_with_a_conditional_write_keyed_by_the_finding() {
        let put = mock!(Client::put_item)
            .match_requests(|r| {
                r.table_name() == Some("soar-tickets")
                    && r.condition_expression()
                        == Some("attribute_not_exists(finding_id) OR attribute_exists(closed_at)")
                    && r.item().unwrap().get("ticket_id") == Some(&s("SOAR-1"))
            })
            .then_output(|| PutItemOutput::builder().build());
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&put]);
        let records = DynamoRecords::new(client, tables());
        assert_eq!(records.open_ticket_once(&ticket()).await.unwrap(), ticket());
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_second_open_returns_the_ticket_already_open() {
        use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
        let put = mock!(Client::put_item).then_error(|| {
            PutItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder()
                    .message("The conditional request failed")
                    .build(),
            )
        });
        let open = HashMap::from([
            ("finding_id".into(), s("f-1")),
            ("ticket_id".into(), s("SOAR-0")),
            ("opened_at".into(), AttributeValue::N("1600000000".into())),
        ]);
        let get = mock!(Client::get_item).then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(open.clone()))
                .build()
        });
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&put, &get]);
        let records = DynamoRecords::new(client, tables());
        let kept = records.open_ticket_once(&ticket()).await.unwrap();
        assert_eq!(
            (kept.ticket_id.as_str(), kept.opened_at),
            ("SOAR-0", 1_600_000_000)
        );
        assert_eq!((put.num_calls(), get.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn closed_or_missing_tickets_are_not_open_and_malformed_items_are_errors() {
        let get = mock!(Client::get_item).then_compute_output(|r| {
            let id = r
                .key()
                .unwrap()
                .get("finding_id")
                .unwrap()
                .as_s()
                .unwrap()
                .clone();
            let item = match id.as_str() {
                "closed" => Some(HashMap::from([
                    ("finding_id".into(), s("closed")),
                    ("ticket_id".into(), s("SOAR-2")),
                    ("opened_at".into(), AttributeValue::N("1".into())),
                    ("closed_at".into(), AttributeValue::N("2".into())),
                ])),
                "malformed" => Some(HashMap::from([("finding_id".into(), s("malformed"))])),
                _ => None,
            };
            GetItemOutput::builder().set_item(item).build()
        });
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&get]);
        let records = DynamoRecords::new(client, tables());
        assert_eq!(records.open_ticket("closed").await.unwrap(), None);
        assert_eq!(records.open_ticket("gone").await.unwrap(), None);
        let error = records.open_ticket("malformed").await.unwrap_err();
        assert!(error.message.contains("ticket_id"), "{error}");
    }

    #[tokio::test]
    async fn events_go_to_their_table() {
        let put = mock!(Client::put_item)
            .match_requests(|r| {
                r.table_name() == Some("soar-autoremediations")
                    && r.item().unwrap().get("outcome") == Some(&s("remediated"))
                    && r.item().unwrap().get("severity") == Some(&s("HIGH"))
            })
            .then_output(|| PutItemOutput::builder().build());
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&put]);
        let record = EventRecord {
            finding_id: "f-1".into(),
            account_id: "111111111111".into(),
            kind: "S3.2".into(),
            outcome: "remediated".into(),
            penalty_score: None,
            at: 1_700_000_000,
            expires_at: 1_731_536_000,
            severity: Some(soar_asff::SeverityLabel::High),
        };
        DynamoRecords::new(client, tables())
            .put_event(RecordKind::Autoremediation, &record)
            .await
            .unwrap();
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn denied_and_throttled_calls_are_classified() {
        let get = mock!(Client::get_item)
            .then_error(|| GetItemError::generic(aws_error("AccessDeniedException", "no")));
        let put = mock!(Client::put_item).then_error(|| {
            PutItemError::generic(aws_error(
                "ProvisionedThroughputExceededException",
                "slow down",
            ))
        });
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&get, &put], |c| c
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled()));
        let records = DynamoRecords::new(client, tables());
        assert_eq!(
            records.open_ticket("f").await.unwrap_err().class,
            ErrorClass::AccessDenied
        );
        assert_eq!(
            records.put_ticket(&ticket()).await.unwrap_err().class,
            ErrorClass::Throttled
        );
    }
}

mod sessions {
    use aws_sdk_sts::operation::assume_role::{AssumeRoleError, AssumeRoleOutput};
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
    use aws_sdk_sts::types::Credentials;
    use aws_sdk_sts::Client;
    use aws_types::region::Region;
    use aws_types::SdkConfig;

    use super::*;

    fn base() -> SdkConfig {
        SdkConfig::builder()
            .region(Region::new("eu-west-1"))
            .build()
    }

    const NOW: u64 = 1_800_000_000;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(NOW)
    }

    fn assume_role(expires_in: i64) -> impl Fn() -> AssumeRoleOutput + Send + Sync + 'static {
        move || {
            AssumeRoleOutput::builder()
                .credentials(
                    Credentials::builder()
                        .access_key_id("ASIAEXAMPLE")
                        .secret_access_key("secret")
                        .session_token("token")
                        .expiration(DateTime::from_secs(NOW as i64 + expires_in))
                        .build()
                        .unwrap(),
                )
                .build()
        }
    }

    fn in_account(account: &str, region: &str) -> Location {
        Location::new(account, region, "aws")
    }

    fn caller_is(account: &'static str) -> soar_core::testkit::aws_smithy_mocks::Rule {
        mock!(Client::get_caller_identity).then_output(move || {
            GetCallerIdentityOutput::builder()
                .account(account)
                .arn(format!("arn:aws:iam::{account}:role/soar-lambda"))
                .build()
        })
    }

    #[tokio::test]
    async fn the_callers_own_account_uses_the_ambient_credentials_in_the_findings_region() {
        let assume = mock!(Client::assume_role).then_output(assume_role(3600));
        let identity = caller_is("111111111111");
        let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&assume, &identity]);
        let sessions = AssumeRoleSessions::new(base(), sts, Some("SoarRemediation".into()));
        for region in ["us-east-1", "ap-south-1"] {
            let config = sessions
                .config_for(&in_account("111111111111", region))
                .await
                .unwrap();
            assert_eq!(config.region().map(|r| r.as_ref()), Some(region));
        }
        assert_eq!(assume.num_calls(), 0);
        assert_eq!(
            identity.num_calls(),
            1,
            "the caller's account is asked once"
        );
        assert_eq!(sessions.own_account().await.unwrap(), "111111111111");
    }

    #[tokio::test]
    async fn without_a_role_another_account_is_refused_with_the_reason() {
        let assume = mock!(Client::assume_role).then_output(assume_role(3600));
        let identity = caller_is("111111111111");
        let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&assume, &identity]);
        let sessions = AssumeRoleSessions::new(base(), sts, None);
        let error = sessions
            .config_for(&in_account("222222222222", "eu-west-1"))
            .await
            .unwrap_err();
        assert_eq!(error.class, ErrorClass::AccessDenied);
        assert!(
            error.message.contains("account 222222222222")
                && error.message.contains("no role name is configured"),
            "{error}"
        );
        assert_eq!(assume.num_calls(), 0);
    }

    #[tokio::test]
    async fn ambient_sessions_serve_their_own_account_only() {
        let ambient = AmbientSessions::new(base(), "111111111111");
        let config = ambient
            .config_for(&in_account("111111111111", "us-west-2"))
            .await
            .unwrap();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("us-west-2"));
        let error = ambient
            .config_for(&in_account("222222222222", "eu-west-1"))
            .await
            .unwrap_err();
        assert_eq!(error.class, ErrorClass::AccessDenied);
        assert!(error.message.contains("account 222222222222"), "{error}");
    }

    #[tokio::test]
    async fn role_is_assumed_once_per_account_and_cached() {
        let rule = mock!(Client::assume_role)
            .match_requests(|r| {
                r.role_arn() == Some("arn:aws:iam::222222222222:role/SoarRemediation")
                    && r.external_id() == Some("ext-123")
                    && r.role_session_name() == Some("soar")
            })
            .then_output(assume_role(3600));
        let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&rule]);
        let sessions = AssumeRoleSessions::new(base(), sts, Some("SoarRemediation".into()))
            .caller_account("111111111111")
            .external_id("ext-123")
            .with_clock(now);
        let config = sessions
            .config_for(&in_account("222222222222", "eu-central-1"))
            .await
            .unwrap();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-central-1"));
        let credentials = config
            .credentials_provider()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(credentials.access_key_id(), "ASIAEXAMPLE");
        assert_eq!(credentials.session_token(), Some("token"));
        sessions
            .config_for(&in_account("222222222222", "us-east-1"))
            .await
            .unwrap();
        assert_eq!(rule.num_calls(), 1);
        assert!(
            !format!("{sessions:?}").contains("ext-123"),
            "the external ID is redacted"
        );
    }

    #[tokio::test]
    async fn credentials_near_expiry_are_renewed() {
        // Expire in 2 minutes: inside the 5-minute refresh margin.
        let rule = mock!(Client::assume_role).then_output(assume_role(120));
        let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&rule]);
        let sessions = AssumeRoleSessions::new(base(), sts, Some("R".into()))
            .caller_account("111111111111")
            .with_clock(now);
        let location = in_account("222222222222", "eu-west-1");
        sessions.config_for(&location).await.unwrap();
        sessions.config_for(&location).await.unwrap();
        assert_eq!(rule.num_calls(), 2);
    }

    #[tokio::test]
    async fn the_role_arn_has_the_resources_partition_and_denial_names_the_account() {
        let rule = mock!(Client::assume_role)
            .match_requests(|r| r.role_arn() == Some("arn:aws-cn:iam::222222222222:role/R"))
            .then_error(|| AssumeRoleError::generic(aws_error("AccessDenied", "not trusted")));
        let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&rule], |c| c
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled()));
        let sessions =
            AssumeRoleSessions::new(base(), sts, Some("R".into())).caller_account("111111111111");
        let error = sessions
            .config_for(&Location::new("222222222222", "cn-north-1", "aws-cn"))
            .await
            .unwrap_err();
        assert_eq!(
            (error.class, error.operation),
            (ErrorClass::AccessDenied, "AssumeRole")
        );
        assert!(
            error.message.contains("cannot act in account 222222222222")
                && error.message.contains("not trusted"),
            "{error}"
        );
        assert_eq!(rule.num_calls(), 1);
    }
}
