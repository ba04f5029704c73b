//! Who owns a journey or an output (SPEC §1): the workspace whose token made it, or the
//! account. Ownership decides who may see, change and connect to it; it is set once, when
//! the thing is made, and never changes.

use serde::{Deserialize, Serialize};
use waymark_store::TokenScope;

/// The owner of a journey or an output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    /// Made with the account token: only the account token reaches it. Records stored
    /// before ownership existed read as account-owned, the safe default.
    #[default]
    Account,
    /// Made with a workspace token (or given to a workspace by the account).
    Workspace(String),
}

impl Owner {
    /// What a caller with `scope` makes.
    pub fn of(scope: &TokenScope) -> Self {
        match scope {
            TokenScope::Account => Owner::Account,
            TokenScope::Workspace(ws) => Owner::Workspace(ws.clone()),
        }
    }

    /// Whether a caller with `scope` may see and use what this owner owns: the account
    /// token reaches everything, a workspace token only its own workspace's things.
    pub fn visible_to(&self, scope: &TokenScope) -> bool {
        match (scope, self) {
            (TokenScope::Account, _) => true,
            (TokenScope::Workspace(own), Owner::Workspace(ws)) => own == ws,
            (TokenScope::Workspace(_), Owner::Account) => false,
        }
    }

    /// Whether a journey owned by `self` may connect to an output owned by `output`: an
    /// account journey to any output, a workspace journey only to its workspace's outputs.
    pub fn may_use(&self, output: &Owner) -> bool {
        match self {
            Owner::Account => true,
            Owner::Workspace(ws) => output == &Owner::Workspace(ws.clone()),
        }
    }

    /// The workspace, for a workspace owner.
    pub fn workspace(&self) -> Option<&str> {
        match self {
            Owner::Account => None,
            Owner::Workspace(ws) => Some(ws),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(id: &str) -> TokenScope {
        TokenScope::Workspace(id.into())
    }

    #[test]
    fn a_workspace_token_sees_only_its_own() {
        let alpha = Owner::Workspace("alpha".into());
        assert!(alpha.visible_to(&TokenScope::Account));
        assert!(alpha.visible_to(&ws("alpha")));
        assert!(!alpha.visible_to(&ws("beta")));
        assert!(!Owner::Account.visible_to(&ws("alpha")));
        assert!(Owner::Account.visible_to(&TokenScope::Account));
    }

    #[test]
    fn workspace_journeys_connect_only_to_their_workspace_outputs() {
        let alpha = Owner::Workspace("alpha".into());
        let beta = Owner::Workspace("beta".into());
        assert!(alpha.may_use(&alpha));
        assert!(!alpha.may_use(&beta));
        assert!(!alpha.may_use(&Owner::Account));
        assert!(Owner::Account.may_use(&beta));
    }

    #[test]
    fn serialized_as_a_tag_or_a_workspace() {
        assert_eq!(
            serde_json::to_value(Owner::Account).unwrap(),
            serde_json::json!("account")
        );
        assert_eq!(
            serde_json::to_value(Owner::Workspace("a".into())).unwrap(),
            serde_json::json!({"workspace": "a"})
        );
    }
}
