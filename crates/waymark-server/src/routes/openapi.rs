//! `GET /api/openapi.json`: an OpenAPI 3.1 document made from the route table.

use axum::Json;
use schemars::JsonSchema;
use serde_json::{Map, Value, json};

use super::{Auth, ENDPOINTS};

/// `GET /api/openapi.json`.
pub(crate) async fn document() -> Json<Value> {
    Json(openapi())
}

/// The schema of this document: an OpenAPI 3.1 document (described by the OpenAPI
/// specification itself, not here).
#[derive(JsonSchema)]
#[schemars(rename = "OpenApiDocument")]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct Document {
    /// `3.1.0`.
    openapi: String,
    info: Map<String, Value>,
    paths: Map<String, Value>,
    components: Map<String, Value>,
}

/// A generator that files named types under `#/components/schemas/`. The engine's model
/// types (SPEC §4, §6) and the API's request and answer types all go through it, so the web
/// UI's API types, generated from this document, follow the Rust types.
fn generator() -> schemars::SchemaGenerator {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas/".into();
    settings.into_generator()
}

/// A JSON body of `schema`.
fn json_content(schema: schemars::Schema) -> Value {
    json!({"application/json": {"schema": schema}})
}

/// The document.
pub(crate) fn openapi() -> Value {
    let mut generator = generator();
    let error = generator.subschema_for::<crate::error::ErrorBody>();
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
        let mut success = json!({"description": "Success"});
        if let Some(response) = e.response {
            success["content"] = json_content(response(&mut generator));
        }
        let mut op = json!({
            "summary": e.summary,
            "operationId": format!("{}{}", e.method, e.path.replace(['/', '{', '}', '.'], "_")),
            "security": security,
            "responses": {
                "2XX": success,
                "4XX": {"description": "An error", "content": json_content(error.clone())},
            },
        });
        if !params.is_empty() {
            op["parameters"] = json!(params);
        }
        if let Some(request) = &e.request {
            let schema = (request.schema)(&mut generator);
            op["requestBody"] =
                json!({"required": request.required, "content": json_content(schema)});
        }
        let item = paths.entry(e.path.to_string()).or_insert_with(|| json!({}));
        item[e.method] = op;
    }
    let schemas = generator.take_definitions(true);
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

    /// Routes that answer no JSON on success: the UI's HTML, metrics text, CSV downloads,
    /// empty `202`s and `204`s.
    const NOT_JSON: &[(&str, &str)] = &[
        ("get", "/"),
        ("get", "/metrics"),
        ("post", "/v2/events"),
        ("post", "/v2/bulkevents"),
        ("get", "/api/outputs/{id}/members.csv"),
        ("get", "/api/audiences/{id}/members.csv"),
        ("get", "/api/journeys/{id}/steps/{step}/audience.csv"),
    ];

    /// The schema `schema` stands for, following a `$ref`.
    fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
        match schema["$ref"].as_str() {
            Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
            None => schema,
        }
    }

    /// Whether `schema` says nothing of an object's fields.
    fn is_bare_object(schema: &Value) -> bool {
        schema["type"] == "object"
            && schema.get("properties").is_none()
            && !schema
                .get("additionalProperties")
                .is_some_and(Value::is_object)
    }

    #[test]
    fn every_json_body_has_a_schema_that_is_not_a_bare_object() {
        let doc = openapi();
        for e in ENDPOINTS {
            let op = &doc["paths"][e.path][e.method];
            let answer = &op["responses"]["2XX"]["content"]["application/json"]["schema"];
            let json_answer = e.method != "delete" && !NOT_JSON.contains(&(e.method, e.path));
            assert_eq!(
                !answer.is_null(),
                json_answer,
                "{} {}: {answer}",
                e.method,
                e.path
            );
            let body = &op["requestBody"]["content"]["application/json"]["schema"];
            for schema in [answer, body] {
                if !schema.is_null() {
                    let shown = resolve(&doc, schema);
                    assert!(!is_bare_object(shown), "{} {}: {shown}", e.method, e.path);
                }
            }
            if matches!(e.method, "post" | "patch") && body.is_null() {
                assert!(
                    e.path.ends_with("/replay")
                        || e.path.ends_with("/stop")
                        || e.path.ends_with("/versions"),
                    "{} {} takes a body the document does not describe",
                    e.method,
                    e.path
                );
            }
        }
        let error = resolve(
            &doc,
            &doc["paths"]["/healthz"]["get"]["responses"]["4XX"]["content"]["application/json"]["schema"],
        );
        assert_eq!(error["required"], json!(["code", "message"]));
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
