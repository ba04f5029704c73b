//! The JSON shapes of the admin API's answers, one file per resource. Each answer is one
//! of these types, built from the runtime's typed values, and the OpenAPI document's response
//! schemas are generated from the same types (SPEC §13), so what is written is what is
//! documented and the UI's API types follow it. The tests also check real answers against
//! the schema, for the parts that stay JSON (user-written definitions, stored list members).

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
