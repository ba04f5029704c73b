//! Journey statistics (SPEC §11) and the intervals they use: figures per version and step,
//! goal conversion per branch and against control, funnels, and entries over time.

pub mod deliveries;
pub mod entries;
pub mod funnel;
pub mod interval;
pub mod version;

pub use deliveries::{ConnectionDeliveries, DeliveryFigures};
pub use entries::{Bucket, Entries, EntryPoint, VersionEntries};
pub use funnel::{Funnel, FunnelStep};
pub use interval::{Rate, Uplift};
pub use version::{Arm, Conversion, StepConnection, VersionStats};

/// A journey's figures: every version's (oldest first) and its deliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyStats {
    /// The journey id.
    pub id: String,
    /// Every version that ran, oldest first.
    pub versions: Vec<VersionStats>,
    /// Its deliveries per connection and per output.
    pub deliveries: DeliveryFigures,
}
