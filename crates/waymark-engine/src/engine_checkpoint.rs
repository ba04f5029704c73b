//! An engine's whole state as bytes, so that a restart loads it instead of replaying the
//! event log (issue 9, checkpoints).
//!
//! Layout: the magic `WMCK`, one version byte ([`CHECKPOINT_VERSION`]), the CRC-32 of the
//! body (4 bytes, little-endian), then the body: the engine's fields in postcard (compact
//! varints, no field names; see `wire.rs` for the fields postcard cannot carry as they
//! are). A checkpoint is read back only when all of that checks and its indices agree with
//! one another: anything else is refused with a [`CheckpointError`], never a panic later.
//! The version changes whenever the body's layout does; an engine refuses every other
//! version (the runtime then replays the log, as without a checkpoint).

use super::{Engine, UserState};
use crate::transition::UserIndex;

const MAGIC: &[u8; 4] = b"WMCK";
const HEADER: usize = MAGIC.len() + 1 + 4;

/// The layout version this engine writes and reads.
pub const CHECKPOINT_VERSION: u8 = 4;

/// Why an engine could not be written to or read from a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Not a checkpoint: too short, or another magic.
    #[error("not an engine checkpoint")]
    NotACheckpoint,
    /// Written by an engine of another layout.
    #[error("checkpoint version {found}, this engine reads version {CHECKPOINT_VERSION}")]
    Version {
        /// The version found.
        found: u8,
    },
    /// The body does not match its checksum (torn or corrupted).
    #[error("checkpoint checksum mismatch")]
    Checksum,
    /// The body does not decode, or its parts do not agree.
    #[error("checkpoint body is invalid: {0}")]
    Body(String),
    /// The state could not be encoded.
    #[error("engine state could not be encoded: {0}")]
    Encode(String),
}

impl Engine {
    /// The engine's whole state: users and their profiles, memberships and timers, the
    /// journeys and audiences it runs with their lifecycles, the catalog and the clock.
    pub fn checkpoint(&self) -> Result<Vec<u8>, CheckpointError> {
        self.debug_assert_settled();
        let mut out = Vec::with_capacity(HEADER + 64 * self.users.len());
        out.extend_from_slice(MAGIC);
        out.push(CHECKPOINT_VERSION);
        out.extend_from_slice(&[0; 4]);
        let mut out = postcard::to_extend(&(self, Keys(self)), out)
            .map_err(|e| CheckpointError::Encode(e.to_string()))?;
        let crc = crc32fast::hash(&out[HEADER..]);
        out[MAGIC.len() + 1..HEADER].copy_from_slice(&crc.to_le_bytes());
        Ok(out)
    }

    /// An engine in exactly the state [`Engine::checkpoint`] wrote: it goes on as the engine
    /// that wrote it would have.
    pub fn from_checkpoint(bytes: &[u8]) -> Result<Engine, CheckpointError> {
        if bytes.len() < HEADER || &bytes[..MAGIC.len()] != MAGIC {
            return Err(CheckpointError::NotACheckpoint);
        }
        let found = bytes[MAGIC.len()];
        if found != CHECKPOINT_VERSION {
            return Err(CheckpointError::Version { found });
        }
        let mut crc = [0; 4];
        crc.copy_from_slice(&bytes[MAGIC.len() + 1..HEADER]);
        let body = &bytes[HEADER..];
        if crc32fast::hash(body) != u32::from_le_bytes(crc) {
            return Err(CheckpointError::Checksum);
        }
        let ((mut engine, keys), rest): ((Engine, Vec<Box<str>>), _) =
            postcard::take_from_bytes(body).map_err(|e| CheckpointError::Body(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CheckpointError::Body("trailing bytes".into()));
        }
        engine.keys = keys;
        engine.check().map_err(CheckpointError::Body)?;
        engine
            .catalog
            .load_zones()
            .map_err(|name| CheckpointError::Body(format!("time zone `{name}` does not load")))?;
        for (user, (key, state)) in engine.keys.iter().zip(&engine.users).enumerate() {
            if !state.removed {
                let bytes = smallvec::SmallVec::from_slice(key.as_bytes());
                if engine.index.insert(bytes, user as UserIndex).is_some() {
                    return Err(CheckpointError::Body(format!("key `{key}` twice")));
                }
            }
        }
        Ok(engine)
    }

    /// Whether the indices of a decoded engine agree with one another, so that running it
    /// cannot index out of bounds (a checksum catches accidents, this what is left).
    fn check(&self) -> Result<(), String> {
        let journeys = self.journeys.len();
        let audiences = self.audiences.len();
        if self.lifecycles.len() != journeys || self.journey_models.len() != journeys {
            return Err("journeys, lifecycles and definitions differ in number".into());
        }
        if self.audience_models.len() != audiences
            || self.audience_order.len() != audiences
            || self
                .audience_order
                .iter()
                .any(|&a| usize::from(a) >= audiences)
        {
            return Err("audiences, their order and definitions differ".into());
        }
        if self.keys.len() != self.users.len() {
            return Err("users and keys differ in number".into());
        }
        if self.users.len() > UserIndex::MAX as usize {
            return Err("too many users".into());
        }
        if self
            .activations
            .iter()
            .any(|&(_, j)| usize::from(j) >= journeys)
        {
            return Err("an activation names no journey".into());
        }
        for &(at, user) in &self.timers {
            let state = self.users.get(user as usize);
            if state.and_then(|s| s.timer.get()) != Some(at) {
                return Err(format!("timer of user {user} does not match"));
            }
        }
        let catalog = &self.catalog;
        let fits = |u: &UserState| {
            u.journeys.fits(journeys)
                && u.audiences.len() <= audiences
                && u.profile.counters.is_consistent()
                && u.profile
                    .counters
                    .ids()
                    .last()
                    .is_none_or(|id| (id as usize) < catalog.counters.len())
                && u.profile.traits.fits(catalog.trait_paths.len())
                && u.profile.attributes.len() <= catalog.attributes.len()
                && u.journeys.held().iter().all(|st| {
                    let steps = self.journeys[usize::from(st.journey)].steps.len();
                    st.audience.iter().all(|a| usize::from(a.step) < steps)
                        && st.positions.iter().all(|p| usize::from(p.step) < steps)
                })
        };
        if let Some(user) = self.users.iter().position(|u| !fits(u)) {
            return Err(format!(
                "user {user} holds state the engine has no room for"
            ));
        }
        Ok(())
    }
}

/// The users' keys as a checkpoint writes them: a removed user's is left empty (nothing
/// reads it once its leaving transitions are handled, and the profile may be deleted).
struct Keys<'a>(&'a Engine);

impl serde::Serialize for Keys<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let engine = self.0;
        s.collect_seq(
            engine
                .keys
                .iter()
                .zip(&engine.users)
                .map(|(key, user)| if user.removed { "" } else { &**key }),
        )
    }
}
