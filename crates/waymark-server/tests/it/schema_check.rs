//! A JSON Schema checker for the subset of draft 2020-12 the OpenAPI document uses
//! (`$ref` into `#/components/schemas/`, `type`, `properties`, `required`,
//! `additionalProperties`, `items`, `anyOf`, `oneOf`, `allOf`, `enum`, `const`, `minimum`),
//! so that the tests can hold real answers against the document. A keyword it does not
//! know fails the check, so that the document cannot outgrow it unnoticed.

use serde_json::{Map, Value};

/// Keywords that only annotate.
const ANNOTATIONS: &[&str] = &["description", "title", "default", "format", "examples"];

/// Every way `value` breaks `schema`, as `path: why` lines (empty when it holds).
pub fn violations(schemas: &Map<String, Value>, schema: &Value, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(schemas, schema, value, "$", &mut out);
    out
}

fn check(
    schemas: &Map<String, Value>,
    schema: &Value,
    value: &Value,
    at: &str,
    out: &mut Vec<String>,
) {
    let schema = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => return out.push(format!("{at}: no value is allowed here")),
        Value::Object(s) => s,
        other => return out.push(format!("{at}: {other} is not a schema")),
    };
    for (keyword, rule) in schema {
        match keyword.as_str() {
            "$ref" => {
                let name = rule
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    .unwrap_or_else(|| panic!("{at}: unsupported $ref {rule}"));
                let target = schemas
                    .get(name)
                    .unwrap_or_else(|| panic!("{at}: dangling $ref {rule}"));
                check(schemas, target, value, at, out);
            }
            "type" => {
                let allowed: Vec<&str> = match rule {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => panic!("{at}: bad type {rule}"),
                };
                if !allowed.iter().any(|t| has_type(value, t)) {
                    out.push(format!("{at}: {} is not of type {rule}", short(value)));
                }
            }
            "properties" => {
                if let (Some(props), Some(obj)) = (rule.as_object(), value.as_object()) {
                    for (name, sub) in props {
                        if let Some(v) = obj.get(name) {
                            check(schemas, sub, v, &format!("{at}.{name}"), out);
                        }
                    }
                }
            }
            "required" => {
                if let Some(obj) = value.as_object() {
                    for name in rule
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        if !obj.contains_key(name) {
                            out.push(format!("{at}: lacks required `{name}`"));
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(obj) = value.as_object() {
                    let known = schema.get("properties").and_then(Value::as_object);
                    for (name, v) in obj {
                        if known.is_none_or(|k| !k.contains_key(name)) {
                            check(schemas, rule, v, &format!("{at}.{name}"), out);
                        }
                    }
                }
            }
            "items" => {
                for (i, v) in value.as_array().into_iter().flatten().enumerate() {
                    check(schemas, rule, v, &format!("{at}[{i}]"), out);
                }
            }
            "anyOf" | "oneOf" => {
                let branches = rule.as_array().expect("anyOf/oneOf is a list");
                let holding = branches
                    .iter()
                    .filter(|b| violations(schemas, b, value).is_empty())
                    .count();
                let ok = if keyword == "oneOf" {
                    holding == 1
                } else {
                    holding >= 1
                };
                if !ok {
                    out.push(format!(
                        "{at}: {} holds for {holding} of the {keyword} branches",
                        short(value)
                    ));
                }
            }
            "allOf" => {
                for b in rule.as_array().expect("allOf is a list") {
                    check(schemas, b, value, at, out);
                }
            }
            "enum" => {
                if !rule.as_array().is_some_and(|vs| vs.contains(value)) {
                    out.push(format!("{at}: {} is not one of {rule}", short(value)));
                }
            }
            "const" => {
                if rule != value {
                    out.push(format!("{at}: {} is not {rule}", short(value)));
                }
            }
            "minimum" => {
                if let (Some(min), Some(n)) = (rule.as_f64(), value.as_f64())
                    && n < min
                {
                    out.push(format!("{at}: {n} is below {min}"));
                }
            }
            k if ANNOTATIONS.contains(&k) => {}
            k => panic!("{at}: the checker does not know the keyword `{k}`"),
        }
    }
}

fn has_type(value: &Value, t: &str) -> bool {
    match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => panic!("unknown type {t}"),
    }
}

fn short(value: &Value) -> String {
    value.to_string().chars().take(120).collect()
}
