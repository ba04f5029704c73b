//! A stored journey that cannot be read (written by a broken build, or edited by hand) is
//! answered as an error naming it — never a panic, never silently dropped — while the
//! other journeys keep working.

use axum::http::StatusCode;
use serde_json::json;
use waymark_store::DocumentWrite;

use crate::support::*;

#[tokio::test]
async fn a_corrupt_journey_is_an_error_not_a_panic() {
    let app = App::new();
    let fine = json!({"id": "fine", "name": "Fine", "entry": {"id": "entry", "name": "All",
        "criteria": {"everyone": true}}});
    app.send(post("/api/journeys").bearer(ACCOUNT_TOKEN).json(&fine))
        .await
        .assert_status(StatusCode::CREATED);
    for (id, body) in [
        (
            "no-versions",
            json!({"id": "no-versions", "versions": [], "keys": {}, "created_at": 0}),
        ),
        ("garbled", json!({"id": "garbled", "versions": "nope"})),
    ] {
        app.store
            .write_documents(vec![DocumentWrite {
                collection: "journeys".into(),
                id: id.into(),
                body: Some(body),
            }])
            .unwrap();
        let resp = app
            .send(get(&format!("/api/journeys/{id}")).bearer(ACCOUNT_TOKEN))
            .await;
        resp.assert_error(StatusCode::INTERNAL_SERVER_ERROR, "corrupt_journey");
        assert!(resp.message().contains(id), "{}", resp.text());
        let resp = app
            .send(post(&format!("/api/journeys/{id}/publish")).bearer(ACCOUNT_TOKEN))
            .await;
        resp.assert_error(StatusCode::INTERNAL_SERVER_ERROR, "corrupt_journey");
    }
    let list = app.send(get("/api/journeys").bearer(ACCOUNT_TOKEN)).await;
    list.assert_status(StatusCode::OK);
    let journeys = list.json()["journeys"].as_array().unwrap().clone();
    let fine = journeys.iter().find(|j| j["id"] == "fine").unwrap();
    assert_eq!(fine["status"], "draft");
    for id in ["no-versions", "garbled"] {
        let entry = journeys.iter().find(|j| j["id"] == id).unwrap();
        assert_eq!(entry["error"]["code"], "corrupt_journey", "{entry}");
    }
    // A workspace token cannot tell whose they are: it does not see them.
    let list = app.send(get("/api/journeys").bearer(SHOP_TOKEN)).await;
    assert_eq!(list.json()["journeys"], json!([]));
    // The good journey still publishes.
    app.send(post("/api/journeys/fine/publish").bearer(ACCOUNT_TOKEN))
        .await
        .assert_status(StatusCode::OK);
}
