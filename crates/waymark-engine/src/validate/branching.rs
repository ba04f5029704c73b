//! Checks of how a step's children are chosen (SPEC §7): `branching`, `timeout`, the
//! `remaining` path and children that can never be reached.

use super::fields::{Checker, Object, optional};
use super::problems::{field, index};
use super::steps::Child;

/// The deepest the step tree may nest below the entry.
pub(super) const MAX_STEP_DEPTH: usize = 64;

const BRANCHINGS: [&str; 5] = ["wait", "decide", "all", "random", "live"];

impl<'a> Checker<'a> {
    /// `branching`, `timeout` and the children of the entry or a step `depth` levels down.
    pub(super) fn children(&mut self, map: &'a Object, path: &str, depth: usize) {
        let branching = match map.get("branching") {
            None => Some("wait"),
            Some(b) => self.choice(
                b,
                &field(path, "branching"),
                "branching",
                &BRANCHINGS,
                "unknown_branching",
            ),
        };
        let timeout = optional(map, "timeout");
        if let Some(timeout) = timeout {
            let timeout_path = field(path, "timeout");
            self.duration(timeout, &timeout_path);
            if let Some(other) = branching.filter(|b| *b != "wait") {
                let message =
                    format!("`timeout` only applies with `wait` branching, not `{other}`");
                self.report(timeout_path, "timeout_not_allowed", message);
            }
        }
        let Some(steps) = map.get("steps") else {
            return;
        };
        let steps_path = field(path, "steps");
        let steps = self.array(steps, &steps_path).unwrap_or_default();
        if depth >= MAX_STEP_DEPTH && !steps.is_empty() {
            let message = format!("steps nest more than {MAX_STEP_DEPTH} levels below the entry");
            self.report(steps_path, "steps_too_deep", message);
            return;
        }
        let children: Vec<Child<'a>> = steps
            .iter()
            .enumerate()
            .map(|(i, step)| self.step(step, &index(&steps_path, i), depth + 1, branching))
            .collect();
        self.siblings(&children, &steps_path, branching, timeout.is_some());
    }

    /// The rules between siblings: the `remaining` child, and children nobody can reach.
    fn siblings(
        &mut self,
        children: &[Child<'a>],
        path: &str,
        branching: Option<&str>,
        has_timeout: bool,
    ) {
        let first_passing = children.iter().position(|c| c.always_passes);
        let mut remaining_seen = false;
        for (i, child) in children.iter().enumerate() {
            let child_path = index(path, i);
            if child.kind == Some("remaining") {
                let is_last = i + 1 == children.len();
                self.remaining(&child_path, is_last, remaining_seen, branching, has_timeout);
                remaining_seen = true;
            }
            let Some(passing) = first_passing.filter(|p| *p != i) else {
                continue;
            };
            let hidden = match branching {
                Some("wait" | "decide" | "live") => passing < i,
                Some("all") => child.kind == Some("remaining"),
                _ => false,
            };
            if hidden {
                let message = format!(
                    "{} can never be chosen: {} always passes under `{}` branching",
                    child.label(),
                    children[passing].label(),
                    branching.unwrap_or_default()
                );
                self.report(child_path, "unreachable_step", message);
            }
        }
    }

    /// A `remaining` child: last, alone, and under a branching that has a remaining path.
    fn remaining(
        &mut self,
        path: &str,
        is_last: bool,
        seen: bool,
        branching: Option<&str>,
        has_timeout: bool,
    ) {
        if seen {
            let message = "a second `remaining` step; a step has at most one";
            self.report(path, "duplicate_remaining", message);
        } else if !is_last {
            let message = "a `remaining` step must be the last of its siblings";
            self.report(path, "remaining_not_last", message);
        }
        match branching {
            Some("random") => {
                let message =
                    "`random` branching has no remaining path; give every child a `weight` instead";
                self.report(path, "remaining_under_random", message);
            }
            Some("wait") if !has_timeout => {
                let message = "a `remaining` step under `wait` branching needs a `timeout` on its parent, or nobody ever reaches it";
                self.report(path, "remaining_without_timeout", message);
            }
            _ => {}
        }
    }
}
