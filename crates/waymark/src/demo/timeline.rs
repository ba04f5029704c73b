//! One user's activity written out as messages: sign-up, identify calls, shopping and reading
//! sessions. Shared by historical and live traffic.

use serde_json::{Map, Value, json};
use waymark_engine::MessageKind;
use waymark_engine::time::Millis;

use super::DemoMessage;
use super::build::{Call, Device, message};
use super::catalog::{ARTICLES, PRODUCTS, Product, REFERRERS, SHOP_PAGES, SHOP_SCREENS};
use super::persona::{Consent, Persona};
use super::rng::Rng;

/// A second.
pub const SECOND: Millis = 1_000;
/// A minute.
pub const MINUTE: Millis = 60 * SECOND;
/// An hour.
pub const HOUR: Millis = 60 * MINUTE;
/// A day.
pub const DAY: Millis = 24 * HOUR;

/// A cart: products and quantities.
type Cart = Vec<(&'static Product, u32)>;

/// Writes one user's messages into `out`, dropping any outside `[lo, hi)`.
pub struct Timeline<'a> {
    /// The user.
    pub persona: &'a Persona,
    /// The user's activity stream.
    pub rng: Rng,
    /// Earliest time kept.
    pub lo: Millis,
    /// Times at or after this are dropped.
    pub hi: Millis,
    /// The period over which the persona's consent change is placed.
    pub consent_period: (Millis, Millis),
    /// The primary device carries only its anonymous id before this time.
    pub identified_at: Millis,
    /// Lifetime value so far (USD).
    pub ltv: f64,
    /// The consent preferences last stated to Waymark (`None` before the first message).
    pub stated: Option<Consent>,
    /// Distinguishes this run's order and cart ids (empty for history).
    pub tag: String,
    /// Carts opened so far.
    pub carts: u32,
    /// Where messages go.
    pub out: &'a mut Vec<DemoMessage>,
}

impl Timeline<'_> {
    /// The device a message comes from: the primary one or, when `secondary`, the second one.
    fn device(&self, secondary: bool, at: Millis) -> Device<'_> {
        let p = self.persona;
        match p.secondary {
            Some(input) if secondary => Device {
                input,
                anonymous_id: &p.secondary_anonymous_id,
                identified: true,
            },
            _ => Device {
                input: p.primary,
                anonymous_id: &p.anonymous_id,
                identified: at >= self.identified_at,
            },
        }
    }

    /// Emits a call unless `at` is outside the kept range. The user's first message, the
    /// first after a change of consent and every identify call carry the consent preferences
    /// (the profile keeps them in between).
    fn emit(&mut self, at: Millis, secondary: bool, call: Call) {
        if at < self.lo || at >= self.hi {
            return;
        }
        let (start, end) = self.consent_period;
        let current = self.persona.consent_at(at, start, end);
        let consent =
            (call.kind == MessageKind::Identify || self.stated != Some(current)).then_some(current);
        self.stated = Some(current);
        let device = self.device(secondary, at);
        let msg = message(self.persona, device, consent, at, call);
        self.out.push(msg);
    }

    /// An `identify` call with these traits.
    pub fn identify(&mut self, at: Millis, secondary: bool, traits: Value) {
        let traits = match traits {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let call = Call {
            kind: MessageKind::Identify,
            name: None,
            properties: Value::Null,
            traits,
        };
        self.emit(at, secondary, call);
    }

    /// A `track` call.
    pub fn track(&mut self, at: Millis, secondary: bool, name: &'static str, properties: Value) {
        let call = Call {
            kind: MessageKind::Track,
            name: Some(name),
            properties,
            traits: Map::new(),
        };
        self.emit(at, secondary, call);
    }

    /// A page view on the web, a screen view in the apps.
    pub fn view(&mut self, at: Millis, secondary: bool, name: &str, path: &str, referrer: &str) {
        let web = self.device(secondary, at).input == "web";
        let host = if self.persona.workspace == "blog" {
            "journal.example.com"
        } else {
            "shop.example.com"
        };
        let call = if web {
            let mut properties =
                json!({"name": name, "path": path, "url": format!("https://{host}{path}")});
            if !referrer.is_empty() {
                properties["referrer"] = json!(referrer);
            }
            Call {
                kind: MessageKind::Page,
                name: Some("Page Viewed"),
                properties,
                traits: Map::new(),
            }
        } else {
            Call {
                kind: MessageKind::Screen,
                name: Some("Screen Viewed"),
                properties: json!({"name": name}),
                traits: Map::new(),
            }
        };
        self.emit(at, secondary, call);
    }

    /// The full profile traits sent at sign-up or on an existing user's first visit.
    pub fn profile_traits(&self, at: Millis, plan: &str) -> Value {
        let p = self.persona;
        let mut traits = json!({
            "email": p.email,
            "name": p.name,
            "first_name": p.first_name,
            "last_name": p.last_name,
            "plan": plan,
            "timezone": p.zone.name,
            "lifetime_value": round2(self.ltv),
        });
        if plan == "trial" {
            traits["trial_ends_at"] = json!(waymark_engine::time::format_instant(at + 14 * DAY));
        }
        traits
    }

    /// A short pause between two actions in a session.
    fn pause(&mut self) -> Millis {
        self.rng.range(6 * SECOND, 80 * SECOND)
    }

    /// Looking around a shop: a landing view then up to `max_products` product views.
    /// Returns the time of the last action and the last product viewed.
    fn browse(
        &mut self,
        mut t: Millis,
        secondary: bool,
        max_products: u64,
    ) -> (Millis, Option<&'static Product>) {
        if self.device(secondary, t).input == "web" {
            let (name, path) = if self.rng.chance(0.5) {
                SHOP_PAGES[0]
            } else {
                *self.rng.pick(SHOP_PAGES)
            };
            let referrer = *self.rng.pick(REFERRERS);
            self.view(t, secondary, name, path, referrer);
        } else {
            let name = if self.rng.chance(0.6) {
                SHOP_SCREENS[0]
            } else {
                *self.rng.pick(SHOP_SCREENS)
            };
            self.view(t, secondary, name, "", "");
        }
        let mut last = None;
        let products = if self.rng.chance(0.82) {
            1 + self.rng.below(max_products)
        } else {
            0
        };
        for _ in 0..products {
            let product = self.rng.pick(PRODUCTS);
            t += self.pause();
            self.view(
                t,
                secondary,
                product.name,
                &format!("/products/{}", product.id),
                "",
            );
            t += 2 * SECOND;
            let props = self.product_props(product, 1);
            self.track(t, secondary, "Product Viewed", props);
            last = Some(product);
        }
        (t, last)
    }

    /// A shopping session from `t`. Returns its end and, when the user left a cart behind,
    /// that cart.
    pub fn shop_session(&mut self, t: Millis, secondary: bool) -> (Millis, Option<Cart>) {
        let (mut t, viewed) = self.browse(t, secondary, 3);
        let Some(product) = viewed else {
            if self.rng.chance(0.1) {
                t += self.pause();
                let (name, path) = SHOP_PAGES[3];
                self.view(t, secondary, name, path, "");
            }
            return (t, None);
        };
        if !self.rng.chance((0.3 * self.persona.buyer).min(0.6)) {
            return (t, None);
        }
        self.carts += 1;
        let mut cart: Cart = vec![(product, 1 + u32::from(self.rng.chance(0.15)))];
        t += self.pause();
        self.add_to_cart(t, secondary, &cart);
        if self.rng.chance(0.25) {
            let extra = self.rng.pick(PRODUCTS);
            cart.push((extra, 1));
            t += self.pause();
            self.add_to_cart(t, secondary, &cart);
        }
        if self.rng.chance(0.55) {
            t = self.checkout(t, secondary, &cart);
            if self.rng.chance(0.68) {
                let at = t + self.rng.range(30 * SECOND, 4 * MINUTE);
                t = self.order(at, secondary, &cart);
                return (t, None);
            }
        }
        (t, Some(cart))
    }

    /// Coming back for a cart left behind: to the cart, maybe checkout and order.
    pub fn return_to_cart(&mut self, t: Millis, secondary: bool, cart: &Cart) -> Millis {
        self.view(t, secondary, "Cart", "/cart", "");
        let mut t = t + self.pause();
        if self.rng.chance(0.75) {
            t = self.checkout(t, secondary, cart);
            if self.rng.chance(0.7) {
                let at = t + self.rng.range(30 * SECOND, 3 * MINUTE);
                t = self.order(at, secondary, cart);
            }
        }
        t
    }

    /// `Product Added` for the last item of the cart.
    fn add_to_cart(&mut self, t: Millis, secondary: bool, cart: &Cart) {
        let (product, quantity) = cart[cart.len() - 1];
        let mut props = self.product_props(product, quantity);
        props["cart_id"] = json!(self.cart_id());
        self.track(t, secondary, "Product Added", props);
    }

    /// The checkout page and `Checkout Started`.
    fn checkout(&mut self, mut t: Millis, secondary: bool, cart: &Cart) -> Millis {
        t += self.pause();
        self.view(t, secondary, "Checkout", "/checkout", "");
        t += 2 * SECOND;
        let (value, _) = self.value(cart);
        let props = json!({
            "checkout_id": self.cart_id(),
            "value": value,
            "currency": self.persona.zone.currency,
            "products": self.line_items(cart),
        });
        self.track(t, secondary, "Checkout Started", props);
        t
    }

    /// `Order Completed` and the identify call that updates the lifetime value.
    fn order(&mut self, t: Millis, secondary: bool, cart: &Cart) -> Millis {
        let (revenue, usd) = self.value(cart);
        let shipping = if usd >= 75.0 {
            0.0
        } else {
            round2(5.95 * usd_rate(self.persona.zone.currency))
        };
        let props = json!({
            "order_id": format!("ord-{:05}{}-{}", self.persona.index, self.tag, self.carts),
            "checkout_id": self.cart_id(),
            "revenue": revenue,
            "shipping": shipping,
            "total": round2(revenue + shipping),
            "currency": self.persona.zone.currency,
            "products": self.line_items(cart),
        });
        self.track(t, secondary, "Order Completed", props);
        self.ltv += usd;
        let t = t + SECOND;
        let traits = json!({"lifetime_value": round2(self.ltv)});
        self.identify(t, secondary, traits);
        t
    }

    /// A blog visit: one to four articles, the first from a referrer.
    pub fn read_session(&mut self, mut t: Millis) -> Millis {
        let pages = 1 + self.rng.below(4);
        for i in 0..pages {
            let (title, path) = *self.rng.pick(ARTICLES);
            let referrer = if i == 0 {
                *self.rng.pick(REFERRERS)
            } else {
                ""
            };
            self.view(t, false, title, path, referrer);
            t += self.rng.range(40 * SECOND, 6 * MINUTE);
        }
        t
    }

    /// The current cart's id.
    fn cart_id(&self) -> String {
        format!("cart-{:05}{}-{}", self.persona.index, self.tag, self.carts)
    }

    /// The properties of a product event.
    fn product_props(&self, product: &Product, quantity: u32) -> Value {
        let rate = usd_rate(self.persona.zone.currency);
        json!({
            "product_id": product.id,
            "sku": format!("TH-{}", product.id.to_ascii_uppercase()),
            "name": product.name,
            "category": product.category,
            "price": round2(product.price * rate),
            "quantity": quantity,
            "currency": self.persona.zone.currency,
        })
    }

    /// The cart's line items.
    fn line_items(&self, cart: &Cart) -> Value {
        let rate = usd_rate(self.persona.zone.currency);
        cart.iter()
            .map(|(p, q)| json!({"product_id": p.id, "name": p.name, "price": round2(p.price * rate), "quantity": q}))
            .collect()
    }

    /// The cart's value in the user's currency and in USD.
    fn value(&self, cart: &Cart) -> (f64, f64) {
        let usd: f64 = cart.iter().map(|(p, q)| p.price * f64::from(*q)).sum();
        (round2(usd * usd_rate(self.persona.zone.currency)), usd)
    }
}

/// Units of `currency` per US dollar (rounded demo rates).
fn usd_rate(currency: &str) -> f64 {
    match currency {
        "EUR" => 0.92,
        "GBP" => 0.79,
        "BRL" => 5.0,
        "INR" => 83.0,
        "JPY" => 150.0,
        "AUD" => 1.5,
        _ => 1.0,
    }
}

/// Rounds to cents.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A time in `[lo, hi)` that tends to fall in the user's waking hours (07:00–23:00 local).
pub fn daytime(rng: &mut Rng, offset_minutes: i64, lo: Millis, hi: Millis) -> Millis {
    let mut t = rng.range(lo, hi);
    for _ in 0..3 {
        let local_minute = (t / MINUTE + offset_minutes).rem_euclid(24 * 60);
        if (7 * 60..23 * 60).contains(&local_minute) {
            break;
        }
        t = rng.range(lo, hi);
    }
    t
}
