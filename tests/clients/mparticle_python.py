#!/usr/bin/env python3
"""Sends a user's events to Waymark with the real mParticle Python SDK (Events API).

Usage: mparticle_python.py URL API_KEY API_SECRET
       (or WAYMARK_URL, WAYMARK_WRITE_KEY and WAYMARK_SECRET)

URL is the server's root; the SDK's host is URL + "/v2". The library is the unmodified one
pinned in requirements.txt. mParticle has no alias: a batch carries the user's identities
(customerid, email, mpid) and user_attributes. What is sent (the test in
crates/waymark/tests/it/clients.rs asserts exactly this):
  1. POST /v2/events: user_attributes (plan, tags, city), GDPR consent, a custom_event
     "Added to Cart", a screen_view "Home" and a commerce_event purchase;
  2. the same batch again (an app retrying after a lost response: must be ignored);
  3. POST /v2/bulkevents with one batch: user_attributes {plan: gold} and a custom_event
     "Checkout Started".
The SDK does not retry and raises ApiException for any status outside 200-205.
Exits 1 when a call failed, 2 on bad usage.
"""

import os
import sys

import mparticle
from mparticle.rest import ApiException

CUSTOMER_ID = "mp-cust-1"
EMAIL = "katherine@example.com"
MPID = 8812345


def identities():
    return mparticle.UserIdentities(customerid=CUSTOMER_ID, email=EMAIL)


def first_batch():
    batch = mparticle.Batch()
    batch.environment = "development"
    batch.source_request_id = "mp-req-1"
    batch.user_identities = identities()
    batch.mpid = MPID
    batch.user_attributes = {"plan": "silver", "tags": ["beta", "vip"], "city": "Hampton"}
    consent = mparticle.ConsentState()
    consent.gdpr = {
        "marketing": mparticle.GDPRConsentState(
            document="privacy-v1", consented=True, timestamp_unixtime_ms=1700000000000
        )
    }
    batch.consent_state = consent

    cart = mparticle.AppEvent(
        event_name="Added to Cart",
        custom_event_type="transaction",
        custom_attributes={"sku": "X1", "color": "red"},
        source_message_id="mp-msg-cart-1",
    )
    screen = mparticle.ScreenViewEvent(screen_name="Home")
    product = mparticle.Product(id="sku1", name="Widget", price=9.99, quantity=2)
    action = mparticle.ProductAction(
        action="purchase", transaction_id="T-1", total_amount=19.98, products=[product]
    )
    purchase = mparticle.CommerceEvent(product_action=action, currency_code="USD")
    batch.events = [cart, screen, purchase]
    return batch


def second_batch():
    batch = mparticle.Batch()
    batch.environment = "development"
    batch.source_request_id = "mp-req-2"
    batch.user_identities = identities()
    batch.mpid = MPID
    batch.user_attributes = {"plan": "gold"}
    batch.events = [
        mparticle.AppEvent(
            event_name="Checkout Started",
            custom_event_type="transaction",
            custom_attributes={"step": "1"},
        )
    ]
    return batch


def main():
    args = sys.argv[1:]
    url = args[0] if len(args) > 0 else os.environ.get("WAYMARK_URL")
    key = args[1] if len(args) > 1 else os.environ.get("WAYMARK_WRITE_KEY")
    secret = args[2] if len(args) > 2 else os.environ.get("WAYMARK_SECRET")
    if not url or not key or not secret:
        print(__doc__, file=sys.stderr)
        return 2

    config = mparticle.Configuration()
    config.api_key = key
    config.api_secret = secret
    config.host = url.rstrip("/") + "/v2"
    api = mparticle.EventsApi(config)

    calls = [
        ("upload_events", lambda: api.upload_events(first_batch())),
        ("upload_events (repeat)", lambda: api.upload_events(first_batch())),
        ("bulk_upload_events", lambda: api.bulk_upload_events([second_batch()])),
    ]
    failures = 0
    for name, call in calls:
        try:
            call()
        except ApiException as e:
            failures += 1
            print(f"mparticle {name} failed: status {e.status}: {e.reason}: {e.body}", file=sys.stderr)
        except Exception as e:  # network errors and the like
            failures += 1
            print(f"mparticle {name} failed: {e!r}", file=sys.stderr)
    if failures:
        print(f"mparticle: {failures} call(s) failed", file=sys.stderr)
        return 1
    print("mparticle: all calls accepted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
