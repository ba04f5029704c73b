//! The estimator through the runtime handle (SPEC §10): estimates run on the engine
//! thread, where the samples are kept current in order with the events.

use waymark_store::TokenScope;

use super::Runtime;
use crate::RuntimeError;
use crate::estimate::{Estimate, EstimateRequest, JourneyEstimate, Preview};

impl Runtime {
    /// `POST /api/estimate`: a workspace token may estimate over its own workspace only
    /// (another workspace is answered as missing).
    pub fn estimate(
        &self,
        scope: &TokenScope,
        request: EstimateRequest,
    ) -> Result<Estimate, RuntimeError> {
        if let TokenScope::Workspace(own) = scope
            && *own != request.workspace
        {
            return Err(RuntimeError::not_found("workspace", &request.workspace));
        }
        self.call(move |core| {
            core.estimate_criteria(&request.workspace, &request.inputs, request.criteria)
        })
    }

    /// `GET /api/journeys/{id}/estimate`, for a journey `scope` may see.
    pub fn journey_estimate(
        &self,
        scope: &TokenScope,
        id: &str,
    ) -> Result<JourneyEstimate, RuntimeError> {
        let doc = self.journey_doc(scope, id)?;
        self.call(move |core| core.estimate_journey(&doc))
    }

    /// `POST /api/journeys/{id}/estimate`: an unsaved definition of a journey `scope` may
    /// see, estimated as the saved one would be.
    pub fn draft_estimate(
        &self,
        scope: &TokenScope,
        id: &str,
        definition: serde_json::Value,
    ) -> Result<JourneyEstimate, RuntimeError> {
        self.journey_doc(scope, id)?;
        let id = id.to_string();
        self.call(move |core| core.estimate_draft(&id, definition))
    }

    /// `GET /api/journeys/{id}/preview`, for a journey `scope` may see.
    pub fn journey_preview(&self, scope: &TokenScope, id: &str) -> Result<Preview, RuntimeError> {
        let doc = self.journey_doc(scope, id)?;
        self.call(move |core| {
            Ok(Preview {
                users: core.preview_journey(&doc)?,
                id: doc.id,
            })
        })
    }
}
