//! Jira and ServiceNow against an HTTP server on 127.0.0.1 (wiremock),
//! which records every request: the tests check what was sent, not only
//! what came back.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use serde_json::{json, Value};
use soar_asff::SeverityLabel;
use soar_core::error_class::ErrorClass;
use soar_core::ports::{NewTicket, TicketSystem};
use soar_tickets::{
    Credentials, JiraConfig, JiraTickets, RetryPolicy, ServiceNowConfig, ServiceNowTickets,
};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Short waits: the retries are real, the test stays fast.
const RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    initial_backoff_ms: 1,
    max_backoff_ms: 5,
    timeout_ms: 5_000,
};

/// `soar@example.com:token`, as basic auth sends it.
const AUTH: &str = "Basic c29hckBleGFtcGxlLmNvbTp0b2tlbg==";

fn credentials() -> Arc<Credentials> {
    Arc::new(Credentials::basic("soar@example.com", "token"))
}

fn ticket() -> NewTicket {
    NewTicket {
        reference: "SOAR-f-1".into(),
        project: "SEC".into(),
        title: "TEAM FIX: S3 general purpose buckets should block public access".into(),
        body: "The bucket allows public access.\n\nAccount: 111111111111".into(),
        severity: Some(SeverityLabel::High),
        team: Some("payments".into()),
        team_email: None,
    }
}

async fn jira(server: &MockServer) -> JiraTickets {
    JiraTickets::new(
        JiraConfig {
            url: server.uri(),
            retry: RETRY,
            ..JiraConfig::default()
        },
        credentials(),
    )
    .unwrap()
}

async fn servicenow(server: &MockServer) -> ServiceNowTickets {
    ServiceNowTickets::new(
        ServiceNowConfig {
            url: server.uri(),
            retry: RETRY,
            ..ServiceNowConfig::default()
        },
        credentials(),
    )
    .unwrap()
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

#[tokio::test]
async fn jira_opens_an_issue_with_the_routed_project_priority_and_labels() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .and(header("authorization", AUTH))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": "10001", "key": "SEC-42"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let key = jira(&server).await.open(&ticket()).await.unwrap();
    assert_eq!(key, "SEC-42");
    let sent = requests(&server).await;
    assert_eq!(
        body(&sent[0]),
        json!({"fields": {
            "project": {"key": "SEC"},
            "issuetype": {"name": "Task"},
            "summary": "TEAM FIX: S3 general purpose buckets should block public access",
            "description": {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "The bucket allows public access."}]},
                {"type": "paragraph", "content": [{"type": "text", "text": "Account: 111111111111"}]}
            ]},
            "labels": ["soar", "SOAR-f-1"],
            "priority": {"name": "High"}
        }})
    );
}

#[tokio::test]
async fn jira_comments_on_an_issue() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/SEC-42/comment"))
        .and(body_json(
            json!({"body": {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "Still open."}]}
            ]}}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "1"})))
        .expect(1)
        .mount(&server)
        .await;
    jira(&server)
        .await
        .comment("SEC-42", "Still open.")
        .await
        .unwrap();
}

#[tokio::test]
async fn jira_closes_with_a_comment_and_the_transition_to_the_final_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/SEC-42"))
        .and(query_param("fields", "status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "key": "SEC-42",
            "fields": {"status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/SEC-42/comment"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "2"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/SEC-42/transitions"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"transitions": [
                {"id": "11", "name": "Start", "to": {"name": "In Progress"}},
                {"id": "31", "name": "Finish", "to": {"name": "Done"}}
            ]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/SEC-42/transitions"))
        .and(body_json(json!({"transition": {"id": "31"}})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    jira(&server)
        .await
        .close("SEC-42", "The finding is resolved.")
        .await
        .unwrap();
    let sent = requests(&server).await;
    let comment = sent
        .iter()
        .find(|r| r.url.path().ends_with("/comment"))
        .unwrap();
    assert_eq!(
        body(comment)["body"]["content"][0]["content"][0]["text"],
        "The finding is resolved."
    );
}

#[tokio::test]
async fn jira_leaves_a_done_issue_alone_and_names_a_missing_transition() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/SEC-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "key": "SEC-1", "fields": {"status": {"name": "Closed", "statusCategory": {"key": "done"}}}
        })))
        .mount(&server)
        .await;
    let jira = jira(&server).await;
    jira.close("SEC-1", "again").await.unwrap();
    assert_eq!(requests(&server).await.len(), 1, "only the status was read");

    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/SEC-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "key": "SEC-2", "fields": {"status": {"name": "Open", "statusCategory": {"key": "new"}}}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/SEC-2/comment"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/SEC-2/transitions"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"transitions": [
                {"id": "11", "name": "Start", "to": {"name": "In Progress"}}
            ]})),
        )
        .mount(&server)
        .await;
    let error = jira.close("SEC-2", "done").await.unwrap_err();
    assert_eq!(error.class, ErrorClass::InvalidState);
    assert!(
        error.message.contains("no transition to \"Done\"")
            && error.message.contains("In Progress"),
        "{error}"
    );
}

#[tokio::test]
async fn a_429_is_waited_out_and_the_call_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"key": "SEC-43"})))
        .mount(&server)
        .await;
    let key = jira(&server).await.open(&ticket()).await.unwrap();
    assert_eq!(key, "SEC-43");
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 2, "one 429, one success");
    assert_eq!(body(&sent[0]), body(&sent[1]), "the same request again");
}

#[tokio::test]
async fn a_server_error_is_retried_to_the_cap_then_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/now/table/incident"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "error": {"message": "Transaction cancelled", "detail": "maximum execution time exceeded"},
            "status": "failure"
        })))
        .mount(&server)
        .await;
    let error = servicenow(&server).await.open(&ticket()).await.unwrap_err();
    assert_eq!(requests(&server).await.len(), 3, "three attempts, no more");
    assert_eq!((error.port, error.operation), ("ServiceNow", "open"));
    assert!(
        error.message.contains("HTTP 500")
            && error.message.contains("Transaction cancelled")
            && error.message.contains("after 3 attempts"),
        "{error}"
    );
}

#[tokio::test]
async fn a_401_fails_at_once_with_the_systems_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
            "errors": {}
        })))
        .mount(&server)
        .await;
    let error = jira(&server).await.open(&ticket()).await.unwrap_err();
    assert_eq!(requests(&server).await.len(), 1, "not retried");
    assert_eq!(error.class, ErrorClass::AccessDenied);
    assert!(
        error.message.contains("HTTP 401") && error.message.contains("not authenticated"),
        "{error}"
    );
}

#[tokio::test]
async fn a_403_and_a_404_fail_at_once_each_with_its_class() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/now/table/incident/abc123"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/now/table/incident/gone1"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": {"message": "No Record found"}, "status": "failure"
        })))
        .mount(&server)
        .await;
    let servicenow = servicenow(&server).await;
    let denied = servicenow.get("abc123").await.unwrap_err();
    let gone = servicenow.get("gone1").await.unwrap_err();
    assert_eq!(
        (denied.class, gone.class),
        (ErrorClass::AccessDenied, ErrorClass::NotFound)
    );
    assert!(gone.message.contains("No Record found"), "{gone}");
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn servicenow_opens_a_record_in_the_routed_queue_with_urgency_and_impact() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/now/table/incident"))
        .and(header("authorization", AUTH))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "result": {"sys_id": "46d44a5ddb2a3300ee8a5a3ebf961934", "number": "INC0010042"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let id = servicenow(&server).await.open(&ticket()).await.unwrap();
    assert_eq!(id, "46d44a5ddb2a3300ee8a5a3ebf961934");
    assert_eq!(
        body(&requests(&server).await[0]),
        json!({
            "short_description": "TEAM FIX: S3 general purpose buckets should block public access",
            "description": "The bucket allows public access.\n\nAccount: 111111111111",
            "correlation_id": "SOAR-f-1",
            "assignment_group": "SEC",
            "urgency": "1",
            "impact": "2"
        })
    );
}

#[tokio::test]
async fn servicenow_comments_as_a_work_note_and_closes_with_the_final_state() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/api/now/table/incident/abc123"))
        .and(body_json(json!({"work_notes": "Still failing."})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"result": {"sys_id": "abc123"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/now/table/incident/abc123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": {"sys_id": "abc123", "number": "INC0010042", "state": "2"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/api/now/table/incident/abc123"))
        .and(body_json(json!({
            "state": "6",
            "close_notes": "The finding is resolved.",
            "close_code": "Resolved by caller"
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"result": {"sys_id": "abc123", "state": "6"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let servicenow = servicenow(&server).await;
    servicenow
        .comment("abc123", "Still failing.")
        .await
        .unwrap();
    servicenow
        .close("abc123", "The finding is resolved.")
        .await
        .unwrap();
    // `expect(1)` on each mock is checked when the server drops; the count
    // here says nothing else was sent.
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn a_url_that_is_not_http_is_refused_when_configured() {
    let error = JiraTickets::new(
        JiraConfig {
            url: "ftp://example.com".into(),
            ..JiraConfig::default()
        },
        credentials(),
    )
    .unwrap_err();
    assert_eq!(error.member, "url");
}
