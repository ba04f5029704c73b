//! The OpenAPI document describes the real bodies (SPEC §13): every request body the
//! authorization matrix sends matches its route's request schema, and every answer —
//! success or error — matches the route's response schema, for a workspace's token and
//! the account's, on the matrix's seeded fixture (a profile, outputs of every kind, a
//! published journey that delivered, audiences, a computed attribute).

use axum::http::header;
use serde_json::{Map, Value};

use crate::authz::{Caller, matrix, request_for, seeded};
use crate::schema_check::violations;
use crate::support::*;

/// The operation of `method path` in the document.
fn operation<'a>(doc: &'a Value, method: &str, template: &str) -> &'a Value {
    &doc["paths"][template][method]
}

fn json_schema(content: &Value) -> Option<&Value> {
    content
        .get("content")?
        .get("application/json")?
        .get("schema")
}

#[tokio::test]
async fn every_body_and_answer_matches_the_document() {
    let doc = App::new().send(get("/api/openapi.json")).await.json();
    let schemas: &Map<String, Value> = doc["components"]["schemas"].as_object().unwrap();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for row in matrix() {
        let op = operation(&doc, row.method, row.template);
        let route = format!("{} {}", row.method, row.template);
        if let Some(body) = &row.body {
            match json_schema(&op["requestBody"]) {
                Some(schema) => wrong.extend(
                    violations(schemas, schema, body)
                        .into_iter()
                        .map(|v| format!("{route} request: {v}")),
                ),
                None => wrong.push(format!(
                    "{route}: sends a body the document does not describe"
                )),
            }
        }
        for caller in [Caller::Own, Caller::Account] {
            let (app, delivery) = seeded().await;
            let resp = app.send(request_for(&row, caller, &delivery)).await;
            let is_json = resp
                .headers
                .get(header::CONTENT_TYPE)
                .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
            let answers = if resp.status.is_success() {
                json_schema(&op["responses"]["2XX"])
            } else {
                json_schema(&op["responses"]["4XX"])
            };
            match (is_json, answers) {
                (true, Some(schema)) => {
                    checked += 1;
                    wrong.extend(
                        violations(schemas, schema, &resp.json())
                            .into_iter()
                            .map(|v| format!("{route} as {caller:?} ({}): {v}", resp.status)),
                    );
                }
                (true, None) => wrong.push(format!(
                    "{route} as {caller:?} answers JSON ({}) the document does not describe",
                    resp.status
                )),
                (false, Some(_)) if resp.status.is_success() => wrong.push(format!(
                    "{route} as {caller:?} is documented as JSON but answers {:?}",
                    resp.headers.get(header::CONTENT_TYPE)
                )),
                (false, _) => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked > 80, "only {checked} answers checked");
}

/// Checks `value` against `#/components/schemas/{name}`.
fn assert_matches(doc: &Value, name: &str, value: &Value) {
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let schema = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
    let wrong = violations(schemas, &schema, value);
    assert!(wrong.is_empty(), "{name}: {}\n{value}", wrong.join("\n"));
}

#[tokio::test]
async fn an_output_with_delivery_settings_matches_the_document() {
    let app = App::new();
    let doc = app.send(get("/api/openapi.json")).await.json();
    let body = serde_json::json!({"id": "tuned", "kind": "webhook",
        "url": "https://receiver.invalid/hook",
        "delivery": {"concurrency": 2, "rate_per_second": 1.5, "retry_waits": ["30s", "5m"],
            "max_attempts": 4, "timeout_ms": 5000, "pause_after_failures": 3}});
    assert_matches(&doc, "NewOutput", &body);
    let created = app
        .send(post("/api/outputs").bearer(ACCOUNT_TOKEN).json(&body))
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.text());
    assert_matches(&doc, "OutputWithSecret", &created.json());
    let shown = app
        .send(get("/api/outputs/tuned").bearer(ACCOUNT_TOKEN))
        .await
        .json();
    assert_eq!(shown["delivery"], body["delivery"]);
    assert_matches(&doc, "OutputView", &shown);
}
