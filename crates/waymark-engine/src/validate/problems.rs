//! Problems, and the helpers that write their paths and messages.

use std::fmt;

use serde_json::Value;

/// One problem in a journey document, with the JSON path where it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Where the problem is, e.g. `$.entry.steps[0].steps[1].criteria.all[2].op`. A missing
    /// field's path is the path it should have.
    pub path: String,
    /// A stable snake_case id of the kind of problem, e.g. `unknown_operator`.
    pub code: &'static str,
    /// What is wrong and what is expected, quoting the offending value.
    pub message: String,
}

impl Problem {
    /// A problem at `path`.
    pub(super) fn new(
        path: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            code,
            message: message.into(),
        }
    }
}

/// `<path>: <message> [<code>]`.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.path, self.message, self.code)
    }
}

/// The path of field `key` of the object at `path`: `$.a.b`, or `$.a["odd key"]`.
pub(super) fn field(path: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if plain {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Value::from(key))
    }
}

/// The path of element `i` of the array at `path`: `$.a[3]`.
pub(super) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The longest text quoted in a message; longer text is cut with `…`.
const QUOTE_CHARS: usize = 60;

/// `text` in backquotes, cut short when long.
pub(super) fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("`{}…`", &text[..cut]),
        None => format!("`{text}`"),
    }
}

/// A value for a "found …" message: its type and, for a scalar, the value itself.
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string {}", quote(s)),
        Value::Array(items) => format!("an array of length {}", items.len()),
        Value::Object(_) => "an object".into(),
    }
}

/// Records that item `i` of the list at `list` uses `key` for its `name` field (`what`, in
/// words); a problem (`code`, naming the item that used it first) when an earlier item did.
pub(crate) fn repeated<'a>(
    seen: &mut std::collections::HashMap<&'a str, usize>,
    key: &'a str,
    (list, i): (&str, usize),
    name: &str,
    what: &str,
    code: &'static str,
) -> Option<Problem> {
    match seen.get(key) {
        Some(first) => Some(Problem::new(
            field(&index(list, i), name),
            code,
            format!("{what} {} is already used at {list}[{first}]", quote(key)),
        )),
        None => {
            seen.insert(key, i);
            None
        }
    }
}
