//! Deliveries: the outbox task and its payload, per-output settings, what an attempt comes to, and the
//! per-output workers that send.

mod attempt;
pub mod payload;
pub mod settings;
pub mod task;
pub mod worker;

pub use payload::DeliveryPayload;
pub use settings::DeliverySettings;
pub use task::{OutboxTask, TaskError};
