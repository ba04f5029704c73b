//! Standalone audiences through the runtime handle (SPEC §6): every call runs on the engine
//! thread, ordered with the events that change memberships; a caller sees only the
//! audiences its token may (another workspace's answer as missing).

use serde_json::Value;
use waymark_store::TokenScope;

use super::Runtime;
use crate::RuntimeError;
use crate::audiences::AudienceDoc;
use crate::core::{AudienceFigures, AudienceMember, Core};
use crate::csv;
use crate::owner::Owner;

/// One page of an audience's members.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberPage {
    /// Members, by workspace then profile key.
    pub members: Vec<AudienceMember>,
    /// Where the next page starts, when there is one.
    pub next_cursor: Option<u64>,
}

/// An audience with its figures (none while it has no engine running).
#[derive(Debug, Clone, PartialEq)]
pub struct AudienceAnswer {
    /// The stored record.
    pub doc: AudienceDoc,
    /// Its engine's figures.
    pub figures: Option<AudienceFigures>,
}

impl AudienceAnswer {
    /// Members now (none while it has no engine running).
    pub fn size(&self) -> u64 {
        self.figures.as_ref().map_or(0, |f| f.stats.in_journey)
    }
}

impl Runtime {
    /// Every audience a caller with `scope` may see, with its size and figures.
    pub fn audiences(&self, scope: &TokenScope) -> Result<Vec<AudienceAnswer>, RuntimeError> {
        let scope = scope.clone();
        self.call(move |core| {
            core.audience_docs()?
                .into_iter()
                .filter(|a| a.owner.visible_to(&scope))
                .map(|a| answer(core, a))
                .collect()
        })
    }

    /// One audience with its figures.
    pub fn audience(&self, scope: &TokenScope, id: &str) -> Result<AudienceAnswer, RuntimeError> {
        let (scope, id) = (scope.clone(), id.to_string());
        self.call(move |core| answer(core, visible(core, &scope, &id)?))
    }

    /// Makes an audience owned by `owner`; it runs at once over stored history.
    pub fn create_audience(
        &self,
        owner: Owner,
        definition: Value,
    ) -> Result<AudienceAnswer, RuntimeError> {
        let (doc, released) = self.call(move |core| core.create_audience(owner, definition))?;
        // Live events go on meanwhile; the call answers once the audience runs.
        if let Some(released) = released {
            released.recv().map_err(|_| RuntimeError::unavailable())?;
        }
        self.call(move |core| answer(core, doc))
    }

    /// Changes an audience's name, description, criteria or connections.
    pub fn patch_audience(
        &self,
        scope: &TokenScope,
        id: &str,
        patch: Value,
    ) -> Result<AudienceAnswer, RuntimeError> {
        let (scope, id) = (scope.clone(), id.to_string());
        self.call(move |core| {
            visible(core, &scope, &id)?;
            let doc = core.patch_audience(&id, patch)?;
            answer(core, doc)
        })
    }

    /// Deletes an audience no running journey or other audience names.
    pub fn delete_audience(&self, scope: &TokenScope, id: &str) -> Result<(), RuntimeError> {
        let (scope, id) = (scope.clone(), id.to_string());
        self.call(move |core| {
            visible(core, &scope, &id)?;
            core.delete_audience(&id)
        })
    }

    /// A page of an audience's members, ordered by workspace then profile key; `cursor` is
    /// the `next_cursor` of the page before (0 for the first).
    pub fn audience_members(
        &self,
        scope: &TokenScope,
        id: &str,
        cursor: u64,
        limit: usize,
    ) -> Result<MemberPage, RuntimeError> {
        let (scope, id) = (scope.clone(), id.to_string());
        self.call(move |core| {
            let doc = visible(core, &scope, &id)?;
            let all = core.audience_members(&doc)?;
            let start = usize::try_from(cursor).unwrap_or(usize::MAX).min(all.len());
            let end = start.saturating_add(limit).min(all.len());
            Ok(MemberPage {
                members: all[start..end].to_vec(),
                next_cursor: (end < all.len()).then_some(end as u64),
            })
        })
    }

    /// Every member of an audience as CSV
    /// (`workspace,key,user_id,anonymous_id,entry_number,entered_at`).
    pub fn audience_members_csv(
        &self,
        scope: &TokenScope,
        id: &str,
    ) -> Result<String, RuntimeError> {
        let (scope, id) = (scope.clone(), id.to_string());
        self.call(move |core| {
            let doc = visible(core, &scope, &id)?;
            let mut csv =
                String::from("workspace,key,user_id,anonymous_id,entry_number,entered_at\n");
            for m in core.audience_members(&doc)? {
                let field = |v: &Option<String>| csv::csv_field(v.as_deref().unwrap_or(""));
                csv.push_str(&format!(
                    "{},{},{},{},{},{}\n",
                    csv::csv_field(&m.workspace),
                    csv::csv_field(&m.key),
                    field(&m.user_id),
                    field(&m.anonymous_id),
                    m.entry_number,
                    csv::instant(m.entered_at),
                ));
            }
            Ok(csv)
        })
    }
}

/// The audience `id` when `scope` may see it.
fn visible(core: &Core, scope: &TokenScope, id: &str) -> Result<AudienceDoc, RuntimeError> {
    let doc = core.audience_doc(id)?;
    if doc.owner.visible_to(scope) {
        Ok(doc)
    } else {
        Err(RuntimeError::not_found("audience", id))
    }
}

/// An audience with its engine's figures.
fn answer(core: &Core, doc: AudienceDoc) -> Result<AudienceAnswer, RuntimeError> {
    Ok(AudienceAnswer {
        figures: core.audience_stats(&doc)?,
        doc,
    })
}
