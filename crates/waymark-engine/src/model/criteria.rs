//! Criteria: the audience-builder language shared by entry, milestones, splits, exit and goal.

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use serde_json::{Map, Value};

use crate::time::{Duration, Millis, format_instant, parse_instant};

/// A boolean condition over a user's events, traits, consent, inputs and memberships.
#[derive(Debug, Clone, PartialEq)]
pub enum Criteria {
    /// Every part holds (an empty list holds).
    All(Vec<Criteria>),
    /// At least one part holds (an empty list does not).
    Any(Vec<Criteria>),
    /// The part does not hold.
    Not(Box<Criteria>),
    /// Always holds.
    Everyone,
    /// A count of matching events compared with a number.
    Event(EventCondition),
    /// A comparison on a profile trait.
    Trait(TraitCondition),
    /// A comparison on a computed attribute (SPEC §5).
    Attribute(AttributeCondition),
    /// Membership in a journey step's or a standalone audience's audience.
    MemberOf(MemberOf),
    /// The profile's consent for a purpose.
    Consent(ConsentCondition),
    /// The user has at least one event from one of these inputs.
    Input(Vec<String>),
}

/// `{"event": NAME, "where"?, "count"?, "within"?, "between"?, "since"?}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventCondition {
    /// The event name (`Order Completed`, `Page Viewed`, …).
    pub event: String,
    /// Property filters; all must hold for an event to match.
    #[serde(default, rename = "where")]
    pub filters: Vec<Filter>,
    /// How the count of matching events is compared (default `>= 1`).
    #[serde(default)]
    pub count: Count,
    /// Only events in the sliding window `(now − within, now]` count.
    #[schemars(with = "Option<String>")]
    pub within: Option<Duration>,
    /// Only events in this fixed interval count.
    pub between: Option<Between>,
    /// Only events after entry or after reaching the step count.
    pub since: Option<Since>,
}

/// A comparison of the number of matching events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Count {
    /// The comparison.
    pub op: CountOp,
    /// The number compared against.
    pub value: u32,
}

impl Default for Count {
    fn default() -> Self {
        Self {
            op: CountOp::Gte,
            value: 1,
        }
    }
}

impl Count {
    /// Whether `count` satisfies the comparison.
    pub fn holds(self, count: u32) -> bool {
        match self.op {
            CountOp::Gte => count >= self.value,
            CountOp::Gt => count > self.value,
            CountOp::Eq => count == self.value,
            CountOp::Lt => count < self.value,
            CountOp::Lte => count <= self.value,
        }
    }

    /// How many of the most recent matching events decide this comparison: any count above
    /// `value` compares the same, so `value + 1` events are enough.
    pub fn events_needed(self) -> u32 {
        self.value.saturating_add(1)
    }
}

/// A count comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
pub enum CountOp {
    /// `>=`
    #[serde(rename = ">=")]
    Gte,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `=`
    #[serde(rename = "=")]
    Eq,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Lte,
}

/// A fixed interval of event time, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Between {
    /// First instant counted.
    #[serde(deserialize_with = "instant", serialize_with = "write_instant")]
    #[schemars(with = "String")]
    pub from: Millis,
    /// Last instant counted.
    #[serde(deserialize_with = "instant", serialize_with = "write_instant")]
    #[schemars(with = "String")]
    pub to: Millis,
}

/// Where an event count starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Since {
    /// After the user entered the journey.
    Entry,
    /// After the user reached the step whose children are being chosen.
    Step,
}

/// A property filter on an event: `{"property": PATH, "op": OP, "value"?}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Dotted path into the event's properties, or into its context with `context.`.
    pub property: String,
    /// The comparison.
    pub op: Op,
    /// The operand (absent for `exists` / `not_exists`).
    pub value: Option<Value>,
}

/// `{"trait": PATH, "op": OP, "value"?, "for"?}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraitCondition {
    /// Dotted path into the profile's traits.
    #[serde(rename = "trait")]
    pub path: String,
    /// The comparison.
    pub op: Op,
    /// The operand.
    pub value: Option<Value>,
    /// The comparison must have held continuously for this long.
    #[serde(rename = "for")]
    #[schemars(with = "Option<String>")]
    pub held_for: Option<Duration>,
}

/// `{"attribute": NAME, "op": OP, "value"?}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeCondition {
    /// The computed attribute's name.
    pub attribute: String,
    /// The comparison.
    pub op: Op,
    /// The operand.
    pub value: Option<Value>,
}

/// `{"member_of": {"journey", "step"} | {"audience"}, "is": bool}`.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberOf {
    /// Whose audience.
    pub target: MemberTarget,
    /// `true`: the user is a member; `false`: the user is not.
    pub is: bool,
}

/// The audience a `member_of` criterion refers to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum MemberTarget {
    /// A step's audience in a journey.
    Step {
        /// Journey id.
        journey: String,
        /// Step id.
        step: String,
    },
    /// A standalone audience.
    Audience {
        /// Audience id.
        audience: String,
    },
}

/// `{"consent": PURPOSE, "granted": bool}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentCondition {
    /// The purpose (`marketing`, `analytics`, …).
    pub consent: String,
    /// `true`: consent is granted; `false`: it is not.
    pub granted: bool,
}

/// A comparison operator for traits, properties and attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal.
    Eq,
    /// Not equal (holds for a missing value).
    Neq,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// String contains substring, or array contains element.
    Contains,
    /// Negation of `contains` (holds for a missing value).
    NotContains,
    /// String starts with.
    StartsWith,
    /// String ends with.
    EndsWith,
    /// Equal to one element of the operand array.
    In,
    /// Equal to no element of the operand array (holds for a missing value).
    NotIn,
    /// Present and not null.
    Exists,
    /// Missing or null.
    NotExists,
    /// Within `[low, high]`, both included.
    Between,
}

impl Op {
    /// Every operator with its JSON spelling.
    pub const ALL: [(Op, &'static str); 15] = [
        (Op::Eq, "eq"),
        (Op::Neq, "neq"),
        (Op::Gt, "gt"),
        (Op::Gte, "gte"),
        (Op::Lt, "lt"),
        (Op::Lte, "lte"),
        (Op::Contains, "contains"),
        (Op::NotContains, "not_contains"),
        (Op::StartsWith, "starts_with"),
        (Op::EndsWith, "ends_with"),
        (Op::In, "in"),
        (Op::NotIn, "not_in"),
        (Op::Exists, "exists"),
        (Op::NotExists, "not_exists"),
        (Op::Between, "between"),
    ];
}

fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
    let text = String::deserialize(d)?;
    parse_instant(&text).ok_or_else(|| de::Error::custom(format!("`{text}` is not a time")))
}

/// Deserializes a required RFC 3339 instant.
pub(crate) fn required_instant<'de, D: Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
    instant(d)
}

/// Deserializes an optional RFC 3339 instant.
pub(crate) fn optional_instant<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Millis>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|text| {
            parse_instant(&text).ok_or_else(|| de::Error::custom(format!("`{text}` is not a time")))
        })
        .transpose()
}

/// Writes an instant as RFC 3339 text, the form [`required_instant`] reads.
pub(crate) fn write_instant<S: Serializer>(at: &Millis, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_instant(*at))
}

/// Writes an optional instant as RFC 3339 text, the form [`optional_instant`] reads.
pub(crate) fn write_optional_instant<S: Serializer>(
    at: &Option<Millis>,
    s: S,
) -> Result<S::Ok, S::Error> {
    at.map(format_instant).serialize(s)
}

/// The keys that tell criteria kinds apart, in the order they are tried.
pub const CRITERIA_KINDS: [&str; 10] = [
    "all",
    "any",
    "not",
    "everyone",
    "event",
    "trait",
    "attribute",
    "member_of",
    "consent",
    "input",
];

impl<'de> Deserialize<'de> for Criteria {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        Criteria::from_map(map).map_err(de::Error::custom)
    }
}

/// Criteria written back to the JSON they are read from (one object with one kind key), so
/// that a definition kept in an engine checkpoint reads back equal.
impl Serialize for Criteria {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        match self {
            Criteria::All(parts) => map.serialize_entry("all", parts)?,
            Criteria::Any(parts) => map.serialize_entry("any", parts)?,
            Criteria::Not(inner) => map.serialize_entry("not", inner)?,
            Criteria::Everyone => map.serialize_entry("everyone", &true)?,
            Criteria::Input(inputs) => map.serialize_entry("input", inputs)?,
            Criteria::MemberOf(m) => {
                map.serialize_entry("member_of", &m.target)?;
                map.serialize_entry("is", &m.is)?;
            }
            Criteria::Event(c) => fields(&mut map, c)?,
            Criteria::Trait(c) => fields(&mut map, c)?,
            Criteria::Attribute(c) => fields(&mut map, c)?,
            Criteria::Consent(c) => fields(&mut map, c)?,
        }
        map.end()
    }
}

/// Writes the fields of a condition struct into the criteria's own object (the kind key is
/// one of them).
fn fields<M: serde::ser::SerializeMap, T: Serialize>(map: &mut M, c: &T) -> Result<(), M::Error> {
    use serde::ser::Error;
    match serde_json::to_value(c) {
        Ok(Value::Object(object)) => object
            .iter()
            .try_for_each(|(k, v)| map.serialize_entry(k, v)),
        Ok(_) => Err(M::Error::custom("a condition is an object")),
        Err(e) => Err(M::Error::custom(e)),
    }
}

fn parse<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, String> {
    serde_json::from_value(v).map_err(|e| e.to_string())
}

impl Criteria {
    fn from_map(mut map: Map<String, Value>) -> Result<Self, String> {
        let kind = CRITERIA_KINDS
            .iter()
            .find(|k| map.contains_key(**k))
            .ok_or_else(|| format!("criteria need one of {}", CRITERIA_KINDS.join(", ")))?;
        let only = |map: &Map<String, Value>, allowed: &[&str]| -> Result<(), String> {
            match map.keys().find(|k| !allowed.contains(&k.as_str())) {
                Some(extra) => Err(format!("unknown field `{extra}` in `{kind}` criteria")),
                None => Ok(()),
            }
        };
        Ok(match *kind {
            "all" | "any" | "not" | "everyone" | "input" => {
                only(&map, &[kind])?;
                let inner = map.remove(*kind).unwrap_or(Value::Null);
                match *kind {
                    "all" => Criteria::All(parse(inner)?),
                    "any" => Criteria::Any(parse(inner)?),
                    "not" => Criteria::Not(Box::new(parse(inner)?)),
                    "input" => Criteria::Input(parse(inner)?),
                    _ => match inner {
                        Value::Bool(true) => Criteria::Everyone,
                        _ => return Err("`everyone` must be true".into()),
                    },
                }
            }
            "event" => Criteria::Event(parse(Value::Object(map))?),
            "trait" => Criteria::Trait(parse(Value::Object(map))?),
            "attribute" => Criteria::Attribute(parse(Value::Object(map))?),
            "consent" => Criteria::Consent(parse(Value::Object(map))?),
            _ => {
                only(&map, &["member_of", "is"])?;
                let target = parse(map.remove("member_of").unwrap_or(Value::Null))?;
                let is = match map.remove("is") {
                    None => true,
                    Some(Value::Bool(b)) => b,
                    Some(_) => return Err("`is` must be true or false".into()),
                };
                Criteria::MemberOf(MemberOf { target, is })
            }
        })
    }

    /// Calls `visit` on this criterion and every criterion nested in it.
    pub fn visit<'a>(&'a self, visit: &mut impl FnMut(&'a Criteria)) {
        visit(self);
        match self {
            Criteria::All(parts) | Criteria::Any(parts) => {
                parts.iter().for_each(|p| p.visit(visit));
            }
            Criteria::Not(inner) => inner.visit(visit),
            _ => {}
        }
    }
}

/// The JSON Schema of criteria (SPEC §4), for the OpenAPI document and the UI's generated
/// types. Written by hand because criteria are read by hand (`from_map`): one object with
/// exactly one kind key.
impl schemars::JsonSchema for Criteria {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Criteria".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let me = generator.subschema_for::<Criteria>();
        let one = |key: &str, value: serde_json::Value| {
            serde_json::json!({"type": "object", "properties": {key: value},
                               "required": [key], "additionalProperties": false})
        };
        let list = serde_json::json!({"type": "array", "items": me});
        let member = serde_json::json!({"type": "object", "properties": {
                "member_of": generator.subschema_for::<MemberTarget>(),
                "is": {"type": "boolean"}},
            "required": ["member_of"], "additionalProperties": false});
        schemars::json_schema!({
            "description": "A condition over a user's events, traits, attributes, consent, inputs and memberships (SPEC §4).",
            "anyOf": [
                one("all", list.clone()),
                one("any", list),
                one("not", serde_json::to_value(&me).unwrap_or_default()),
                one("everyone", serde_json::json!({"const": true})),
                generator.subschema_for::<EventCondition>(),
                generator.subschema_for::<TraitCondition>(),
                generator.subschema_for::<AttributeCondition>(),
                member,
                generator.subschema_for::<ConsentCondition>(),
                one("input", serde_json::json!({"type": "array", "items": {"type": "string"}})),
            ]
        })
    }
}
