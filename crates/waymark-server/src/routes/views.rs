//! The JSON shapes of the admin API's answers, one file per resource. The OpenAPI document's
//! response schemas are generated from these types (SPEC §13), so the UI's API types follow
//! them. Where the runtime builds an answer as a JSON value, the type here describes that
//! value, and the tests check real answers against the schema.

mod account;
mod attribute;
mod audience;
mod common;
mod journey;
mod output;
mod profile;
mod small;

pub(crate) use account::{AccountView, IngestLimits};
pub(crate) use attribute::{AttributeList, AttributeView};
pub(crate) use audience::{AudienceList, AudienceMembersPage, AudienceView};
pub(crate) use common::present;
pub(crate) use journey::{JourneyList, JourneyStats, JourneyView, Trace};
pub(crate) use output::{
    DeliveriesPage, DeliverySettings, DeliveryView, OutputList, OutputMembers, OutputView,
    OutputWithSecret, Replayed,
};
pub use profile::ProfileView;
pub(crate) use profile::{EventView, EventsPage, ProfilesPage};
pub(crate) use small::{Health, Ingested, Suppressed};
