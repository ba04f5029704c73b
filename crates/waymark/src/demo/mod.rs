//! The demo account: two workspaces with their inputs, a deterministic generator of
//! realistic traffic (historical and live), and six sample journeys.
//!
//! The shop ("Trailhead") sells outdoor gear on the web and in iOS and Android apps and
//! offers trial, free and paid plans; the blog is its journal. Users sign up (some after
//! browsing anonymously), complete onboarding steps, browse, add to cart, check out and
//! order at realistic funnel rates, upgrade or fall back to free, and change consent.
//! Everything follows from the seed: the same arguments always give the same messages.

mod build;
mod catalog;
mod history;
mod live;
mod order;
mod persona;
mod rng;
mod timeline;

#[cfg(test)]
mod tests;

use waymark_engine::Message;
use waymark_engine::time::Millis;

/// A workspace of the demo account.
#[derive(Debug)]
pub struct DemoWorkspace {
    /// Workspace id.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Its inputs.
    pub inputs: &'static [DemoInput],
}

/// An input (platform) of a demo workspace.
#[derive(Debug)]
pub struct DemoInput {
    /// Input id within the workspace.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Platform: `ios`, `android` or `web`.
    pub kind: &'static str,
    /// The write key its clients send.
    pub write_key: &'static str,
}

/// One generated message and where it is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoMessage {
    /// The workspace id.
    pub workspace: &'static str,
    /// The input id (also in `message.event.input`).
    pub input: &'static str,
    /// The normalized message.
    pub message: Message,
}

/// The demo account: workspaces and their inputs.
pub const WORKSPACES: &[DemoWorkspace] = &[
    DemoWorkspace {
        id: "shop",
        name: "Trailhead Shop",
        inputs: &[
            DemoInput {
                id: "ios",
                name: "Trailhead iOS app",
                kind: "ios",
                write_key: "demo_shop_ios_key",
            },
            DemoInput {
                id: "android",
                name: "Trailhead Android app",
                kind: "android",
                write_key: "demo_shop_android_key",
            },
            DemoInput {
                id: "web",
                name: "shop.example.com",
                kind: "web",
                write_key: "demo_shop_web_key",
            },
        ],
    },
    DemoWorkspace {
        id: "blog",
        name: "Trailhead Journal",
        inputs: &[DemoInput {
            id: "web",
            name: "journal.example.com",
            kind: "web",
            write_key: "demo_blog_web_key",
        }],
    },
];

/// Historical traffic: `users` users whose activity spreads over [start, end) (ms since
/// epoch), sorted by event time. About 20 messages per user; message ids are
/// `demo-<seed>-<n>`. User `i` is the same person whatever `users` is, so a smaller run is
/// a subset of a larger one.
pub fn history(seed: u64, users: usize, start: Millis, end: Millis) -> Vec<DemoMessage> {
    history::history(seed, users, start, end)
}

pub use live::Trickle;

/// The sample journeys (`examples/demo/journeys/*.json`), as (id, JSON text).
pub fn journeys() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "cart-abandonment",
            include_str!("../../../../examples/demo/journeys/cart-abandonment.json"),
        ),
        (
            "trial-to-paid",
            include_str!("../../../../examples/demo/journeys/trial-to-paid.json"),
        ),
        (
            "onboarding",
            include_str!("../../../../examples/demo/journeys/onboarding.json"),
        ),
        (
            "consent-channel",
            include_str!("../../../../examples/demo/journeys/consent-channel.json"),
        ),
        (
            "post-purchase-ltv",
            include_str!("../../../../examples/demo/journeys/post-purchase-ltv.json"),
        ),
        (
            "live-milestones",
            include_str!("../../../../examples/demo/journeys/live-milestones.json"),
        ),
    ]
}
