//! `GET /api/openapi.json`: an OpenAPI 3.1 document made from the route table.

use axum::Json;
use serde_json::{Map, Value, json};

use super::{Auth, ENDPOINTS};

/// `GET /api/openapi.json`.
pub(crate) async fn document() -> Json<Value> {
    Json(openapi())
}

/// JSON Schemas of the journey JSON (SPEC §6) and criteria (SPEC §4), generated from the
/// engine's own model types, under `#/components/schemas/`. The web UI's API types are
/// generated from this document, so a change to the model shows up in the UI's build.
fn model_schemas() -> Map<String, Value> {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas/".into();
    let mut generator = settings.into_generator();
    generator.subschema_for::<waymark_engine::model::Journey>();
    generator.subschema_for::<waymark_engine::model::Audience>();
    generator.subschema_for::<waymark_engine::model::ComputedAttribute>();
    generator.subschema_for::<waymark_engine::model::Criteria>();
    super::estimates::schemas(&mut generator);
    generator.take_definitions(true)
}

/// A model of `#/components/schemas/` as a required request body.
fn model_body(model: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{model}")}}}})
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
        if (e.method, e.path) == ("post", "/api/journeys") {
            op["requestBody"] = model_body("Journey");
        } else if (e.method, e.path) == ("post", "/api/audiences") {
            op["requestBody"] = model_body("Audience");
        } else if (e.method, e.path) == ("post", "/api/workspaces/{ws}/attributes") {
            op["requestBody"] = model_body("ComputedAttribute");
        } else if let Some((request, response)) = super::estimates::bodies(e.method, e.path) {
            if let Some(request) = request {
                op["requestBody"] = model_body(request);
            }
            op["responses"]["2XX"] = json!({"description": "Success", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{response}")}}}});
        } else if matches!(e.method, "post" | "patch") {
            op["requestBody"] = json!({"required": false, "content": {"application/json": {"schema": {"type": "object"}}}});
        }
        let item = paths.entry(e.path.to_string()).or_insert_with(|| json!({}));
        item[e.method] = op;
    }
    let mut schemas = model_schemas();
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "problems": {"type": "array", "items": {"type": "object"}}}}),
    );
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
            "schemas": schemas,
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

    #[test]
    fn the_journey_model_is_described_and_every_reference_resolves() {
        let doc = openapi();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for name in [
            "Journey",
            "EntryStep",
            "Step",
            "Settings",
            "Criteria",
            "EventCondition",
        ] {
            assert!(schemas.contains_key(name), "no schema {name}");
        }
        assert_eq!(
            doc["paths"]["/api/journeys"]["post"]["requestBody"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/Journey"
        );
        fn refs(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|x| refs(x, out));
                }
                Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 20);
        for r in all {
            let name = r.strip_prefix("#/components/schemas/").expect(&r);
            assert!(schemas.contains_key(name), "dangling {r}");
        }
    }
}
