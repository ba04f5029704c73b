//! The account's audience credits and journey limits.

use super::Runtime;
use crate::RuntimeError;

/// The account's audience credits and the limits journeys meet (SPEC §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credits {
    /// Steps with an active connection allowed over every published journey.
    pub active_audience_limit: usize,
    /// Steps with an active connection in the published journeys now.
    pub activated_audiences: usize,
    /// What is left of the limit.
    pub available_audiences: usize,
    /// Published journeys a workspace may have.
    pub published_journeys_per_workspace: usize,
    /// Steps a journey may have (waits do not count).
    pub max_steps: usize,
}

impl Runtime {
    /// Limits and audience credits.
    pub fn account(&self) -> Result<Credits, RuntimeError> {
        let used = self.call(|core| core.credits_used())?;
        let c = &self.inner.config;
        Ok(Credits {
            active_audience_limit: c.active_audience_limit,
            activated_audiences: used,
            available_audiences: c.active_audience_limit.saturating_sub(used),
            published_journeys_per_workspace: c.published_journeys_per_workspace,
            max_steps: c.max_steps,
        })
    }
}
