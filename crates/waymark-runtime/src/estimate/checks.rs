//! What makes criteria impossible to estimate in a workspace (SPEC §10), found before
//! anything is evaluated, so that the answer names the reason: an input that does not
//! exist or has sent nothing, an attribute the workspace does not define, an audience that
//! does not exist, or `member_of` a journey's step (a journey's membership depends on when
//! it was published and who entered since, which replaying the sample cannot tell).

use waymark_engine::model::{Criteria, MemberTarget};

use super::figure::Estimate;
use super::sample::Sample;

/// The workspace facts the checks read.
pub(crate) struct Known<'a> {
    pub(crate) workspace: &'a str,
    /// The workspace's inputs, as `workspace/input`.
    pub(crate) inputs: &'a [String],
    /// The names of its computed attributes.
    pub(crate) attributes: &'a [String],
    /// The ids of the standalone audiences it can read.
    pub(crate) audiences: &'a [String],
    pub(crate) sample: &'a Sample,
}

impl Known<'_> {
    /// `workspace/input` for an input named bare or qualified.
    pub(crate) fn qualify(&self, input: &str) -> String {
        if input.contains('/') {
            input.to_string()
        } else {
            format!("{}/{input}", self.workspace)
        }
    }

    /// The error estimate for an input that cannot be estimated over.
    pub(crate) fn input_problem(&self, input: &str) -> Option<Estimate> {
        if !self.inputs.iter().any(|i| i == input) {
            return Some(Estimate::error(
                "unknown_input",
                format!("input `{input}` does not exist"),
            ));
        }
        (self.sample.input_events(input) == 0).then(|| {
            Estimate::error(
                "silent_input",
                format!("input `{input}` has sent nothing yet"),
            )
        })
    }

    /// The first reason the criteria cannot be estimated, if any.
    pub(crate) fn problem(&self, criteria: &Criteria) -> Option<Estimate> {
        let mut found = None;
        criteria.visit(&mut |c| {
            if found.is_some() {
                return;
            }
            found = match c {
                Criteria::MemberOf(m) => match &m.target {
                    MemberTarget::Audience { audience } if self.audiences.contains(audience) => {
                        None
                    }
                    MemberTarget::Audience { audience } => Some(Estimate::error(
                        "unknown_audience",
                        format!("audience `{audience}` does not exist"),
                    )),
                    MemberTarget::Step { journey, .. } => Some(Estimate::error(
                        "unsupported_criteria",
                        format!(
                            "`member_of` journey `{journey}` is not estimated: who is in a journey depends on when it was published; its real counts are in its statistics"
                        ),
                    )),
                },
                Criteria::Attribute(a) if !self.attributes.contains(&a.attribute) => {
                    Some(Estimate::error(
                        "unknown_attribute",
                        format!("attribute `{}` is not defined", a.attribute),
                    ))
                }
                Criteria::Input(ids) => ids.iter().find_map(|i| self.input_problem(i)),
                _ => None,
            };
        });
        found
    }
}

/// The criteria with every input id qualified by the workspace.
pub(crate) fn qualified(known: &Known<'_>, c: Criteria) -> Criteria {
    match c {
        Criteria::All(p) => Criteria::All(p.into_iter().map(|c| qualified(known, c)).collect()),
        Criteria::Any(p) => Criteria::Any(p.into_iter().map(|c| qualified(known, c)).collect()),
        Criteria::Not(inner) => Criteria::Not(Box::new(qualified(known, *inner))),
        Criteria::Input(ids) => Criteria::Input(ids.iter().map(|i| known.qualify(i)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn problems_name_their_reason() {
        let sample = Sample::new(10);
        let known = Known {
            workspace: "w",
            inputs: &["w/web".to_string()],
            attributes: &["ltv".to_string()],
            audiences: &["known".to_string()],
            sample: &sample,
        };
        let code = |v: serde_json::Value| {
            let c = qualified(&known, serde_json::from_value(v).unwrap());
            match known.problem(&c) {
                Some(Estimate::Error { error }) => error.code,
                other => format!("{other:?}"),
            }
        };
        assert_eq!(code(json!({"input": ["web"]})), "silent_input");
        assert_eq!(code(json!({"input": ["app"]})), "unknown_input");
        assert_eq!(
            code(json!({"attribute": "x", "op": "exists"})),
            "unknown_attribute"
        );
        assert_eq!(code(json!({"attribute": "ltv", "op": "exists"})), "None");
        assert_eq!(
            code(json!({"not": {"member_of": {"audience": "a"}}})),
            "unknown_audience"
        );
        assert_eq!(code(json!({"member_of": {"audience": "known"}})), "None");
        assert_eq!(
            code(json!({"member_of": {"journey": "j", "step": "entry"}})),
            "unsupported_criteria"
        );
    }
}
