//! Journey statistics (SPEC §11) and the intervals they use: figures per version and step,
//! goal conversion per branch and against control, funnels, and entries over time.

pub mod entries;
pub mod funnel;
pub mod interval;
pub mod version;

pub use entries::{Bucket, Entries, EntryPoint, VersionEntries};
pub use funnel::{Funnel, FunnelStep};
pub use interval::{Rate, Uplift};
pub use version::{Arm, Conversion, VersionStats};
