//! The estimator over HTTP: the criteria builder's count after ingestion, and bodies that
//! are not an estimate request refused with a stable code.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn the_live_count_answers_in_the_documented_shape() {
    let app = App::new();
    app.batch_ok(
        WEB_KEY,
        json!([
            track("u1", "Signed Up"),
            track("u2", "Signed Up"),
            track("u3", "Viewed")
        ]),
    )
    .await;
    let resp = app
        .send(post("/api/estimate").bearer(SHOP_TOKEN).json(&json!({
            "workspace": SHOP, "inputs": ["web"], "criteria": {"event": "Signed Up"}
        })))
        .await;
    resp.assert_status(StatusCode::OK);
    assert_eq!(resp.json(), json!({"estimate": 2, "low": 2, "high": 2}));
    let resp = app
        .send(post("/api/estimate").bearer(SHOP_TOKEN).json(&json!({
            "workspace": SHOP, "criteria": {"attribute": "nope", "op": "exists"}
        })))
        .await;
    resp.assert_status(StatusCode::OK);
    assert_eq!(resp.json()["error"]["code"], "unknown_attribute");
}

#[tokio::test]
async fn a_body_that_is_not_an_estimate_request_is_400() {
    let app = App::new();
    for body in [
        json!({"workspace": SHOP}),
        json!({"workspace": SHOP, "criteria": {"bogus": 1}}),
        json!({"workspace": SHOP, "criteria": {"everyone": true}, "extra": 1}),
        json!([]),
    ] {
        let resp = app
            .send(post("/api/estimate").bearer(SHOP_TOKEN).json(&body))
            .await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        assert_eq!(resp.json()["code"], "invalid_body", "{body}");
    }
}
