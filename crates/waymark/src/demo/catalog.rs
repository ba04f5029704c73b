//! Fixed demo data: the products on sale, names, time zones, pages, screens and articles.

/// A product of the demo shop.
#[derive(Debug)]
pub struct Product {
    /// Product id (also the SKU stem).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Category.
    pub category: &'static str,
    /// Unit price in the user's currency.
    pub price: f64,
}

/// The demo shop's catalog.
pub const PRODUCTS: &[Product] = &[
    Product {
        id: "p-101",
        name: "Trail Running Shoes",
        category: "Shoes",
        price: 129.0,
    },
    Product {
        id: "p-102",
        name: "City Sneakers",
        category: "Shoes",
        price: 89.0,
    },
    Product {
        id: "p-201",
        name: "Merino Base Layer",
        category: "Apparel",
        price: 74.5,
    },
    Product {
        id: "p-202",
        name: "Rain Shell Jacket",
        category: "Apparel",
        price: 219.0,
    },
    Product {
        id: "p-203",
        name: "Organic Cotton Tee",
        category: "Apparel",
        price: 29.0,
    },
    Product {
        id: "p-301",
        name: "Daypack 24L",
        category: "Bags",
        price: 99.0,
    },
    Product {
        id: "p-302",
        name: "Weekender Duffel",
        category: "Bags",
        price: 149.0,
    },
    Product {
        id: "p-401",
        name: "Insulated Bottle",
        category: "Accessories",
        price: 34.0,
    },
    Product {
        id: "p-402",
        name: "Wool Beanie",
        category: "Accessories",
        price: 24.0,
    },
    Product {
        id: "p-403",
        name: "Headlamp 400",
        category: "Accessories",
        price: 45.0,
    },
    Product {
        id: "p-501",
        name: "Two-Person Tent",
        category: "Camping",
        price: 349.0,
    },
    Product {
        id: "p-502",
        name: "Down Sleeping Bag",
        category: "Camping",
        price: 279.0,
    },
];

/// A time zone users live in, with what the generator needs to know about it.
#[derive(Debug)]
pub struct Zone {
    /// IANA name (the `timezone` trait).
    pub name: &'static str,
    /// Approximate UTC offset in minutes (standard time), to place activity in the day.
    pub offset_minutes: i64,
    /// Locale sent in the context.
    pub locale: &'static str,
    /// Currency of orders.
    pub currency: &'static str,
    /// Relative share of users.
    pub weight: u32,
}

/// The time zones of demo users.
pub const ZONES: &[Zone] = &[
    Zone {
        name: "America/New_York",
        offset_minutes: -300,
        locale: "en-US",
        currency: "USD",
        weight: 24,
    },
    Zone {
        name: "America/Chicago",
        offset_minutes: -360,
        locale: "en-US",
        currency: "USD",
        weight: 10,
    },
    Zone {
        name: "America/Los_Angeles",
        offset_minutes: -480,
        locale: "en-US",
        currency: "USD",
        weight: 15,
    },
    Zone {
        name: "America/Sao_Paulo",
        offset_minutes: -180,
        locale: "pt-BR",
        currency: "BRL",
        weight: 5,
    },
    Zone {
        name: "Europe/London",
        offset_minutes: 0,
        locale: "en-GB",
        currency: "GBP",
        weight: 12,
    },
    Zone {
        name: "Europe/Paris",
        offset_minutes: 60,
        locale: "fr-FR",
        currency: "EUR",
        weight: 10,
    },
    Zone {
        name: "Europe/Berlin",
        offset_minutes: 60,
        locale: "de-DE",
        currency: "EUR",
        weight: 8,
    },
    Zone {
        name: "Asia/Kolkata",
        offset_minutes: 330,
        locale: "en-IN",
        currency: "INR",
        weight: 4,
    },
    Zone {
        name: "Asia/Tokyo",
        offset_minutes: 540,
        locale: "ja-JP",
        currency: "JPY",
        weight: 6,
    },
    Zone {
        name: "Australia/Sydney",
        offset_minutes: 600,
        locale: "en-AU",
        currency: "AUD",
        weight: 6,
    },
];

/// First names for generated users.
pub const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloé", "Daniel", "Elif", "Farah", "Gabriel", "Hana", "Ivan", "Jamal", "Keiko",
    "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rafael", "Sofia", "Tomás", "Uma", "Victor",
    "Wen", "Yusuf", "Zoe",
];

/// Last names for generated users.
pub const LAST_NAMES: &[&str] = &[
    "Almeida", "Becker", "Chen", "Dubois", "Evans", "Fischer", "García", "Haddad", "Ito",
    "Johnson", "Kowalski", "Lopez", "Müller", "Nakamura", "Okafor", "Patel", "Rossi", "Smith",
    "Tanaka", "Walker",
];

/// Web pages of the shop that are not product pages: (name, path).
pub const SHOP_PAGES: &[(&str, &str)] = &[
    ("Home", "/"),
    ("Sale", "/sale"),
    ("New Arrivals", "/new"),
    ("Pricing", "/pricing"),
    ("Help", "/help"),
];

/// Screens of the shop's mobile apps that are not product screens.
pub const SHOP_SCREENS: &[&str] = &["Home", "Search", "Sale", "Wishlist", "Account"];

/// Articles of the blog: (title, path).
pub const ARTICLES: &[(&str, &str)] = &[
    (
        "Ten Trails for Your First Ultra",
        "/posts/ten-trails-first-ultra",
    ),
    (
        "How to Layer for Winter Hiking",
        "/posts/layering-winter-hiking",
    ),
    ("Choosing a Tent: A Buyer's Guide", "/posts/choosing-a-tent"),
    ("Leave No Trace, Explained", "/posts/leave-no-trace"),
    (
        "Packing List for a Weekend Trip",
        "/posts/weekend-packing-list",
    ),
    ("Caring for Merino Wool", "/posts/caring-for-merino"),
    ("Night Hiking Safety", "/posts/night-hiking-safety"),
    ("Our Sustainability Report", "/posts/sustainability-report"),
];

/// Where blog readers come from.
pub const REFERRERS: &[&str] = &[
    "https://www.google.com/",
    "https://news.ycombinator.com/",
    "https://www.reddit.com/r/hiking/",
    "https://t.co/",
    "",
];
