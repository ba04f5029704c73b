//! Deliveries: the outbox payload and the per-output workers that send it.

pub mod payload;
pub mod worker;

pub use payload::DeliveryPayload;
