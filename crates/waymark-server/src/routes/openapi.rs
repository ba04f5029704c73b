//! `GET /api/openapi.json`: an OpenAPI 3.1 document made from the route table.

use axum::Json;
use serde_json::{Map, Value, json};

use super::{Auth, ENDPOINTS};

/// `GET /api/openapi.json`.
pub(crate) async fn document() -> Json<Value> {
    Json(openapi())
}

/// The document.
pub(crate) fn openapi() -> Value {
    let mut paths = Map::new();
    for e in ENDPOINTS {
        let params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let security = match e.auth {
            Auth::None => json!([]),
            Auth::WriteKey => json!([{"writeKey": []}]),
            Auth::Admin => json!([{"adminToken": []}]),
        };
        let mut op = json!({
            "summary": e.summary,
            "operationId": format!("{}{}", e.method, e.path.replace(['/', '{', '}', '.'], "_")),
            "security": security,
            "responses": {
                "2XX": {"description": "Success"},
                "4XX": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        });
        if !params.is_empty() {
            op["parameters"] = json!(params);
        }
        if matches!(e.method, "post" | "patch") {
            op["requestBody"] = json!({"required": false, "content": {"application/json": {"schema": {"type": "object"}}}});
        }
        let item = paths.entry(e.path.to_string()).or_insert_with(|| json!({}));
        item[e.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Waymark", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Customer journey orchestration: ingestion, profiles, journeys, outputs."},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "adminToken": {"type": "http", "scheme": "bearer"},
                "writeKey": {"type": "http", "scheme": "basic"},
            },
            "schemas": {
                "Error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"},
                    "problems": {"type": "array", "items": {"type": "object"}}}},
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_documented_once() {
        let doc = openapi();
        let paths = doc["paths"].as_object().unwrap();
        let operations: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
        assert_eq!(operations, ENDPOINTS.len());
        assert!(paths["/api/journeys/{id}/publish"]["post"]["parameters"][0]["name"] == "id");
    }
}
