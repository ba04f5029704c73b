#!/usr/bin/env python3
"""Sends a small user journey to Waymark with the real rudder-sdk-python client.

Usage: rudder_python.py URL WRITE_KEY   (or WAYMARK_URL and WAYMARK_WRITE_KEY)

The library is the unmodified one pinned in requirements.txt, with its defaults: gzip on,
write key only as Basic auth, identify traits sent in context.traits. What is sent (the test
in crates/waymark/tests/it/clients.rs asserts exactly this):
  anonymous rudder-py-anon: page Docs/Pricing, track Product Viewed
  rudder-py-user: identify (email, name, plan, nested address; with consent in context),
  track Order Completed, screen Home, alias rudder-py-anon -> rudder-py-user, then track
  Coupon Applied as rudder-py-anon, and track Newsletter Subscribed twice with one messageId.
Exits 1 when the library reported any error (on_error), 2 on bad usage.
"""

import os
import sys

from rudderstack.analytics import Client

USER = "rudder-py-user"
ANON = "rudder-py-anon"


def main():
    args = sys.argv[1:]
    url = args[0] if len(args) > 0 else os.environ.get("WAYMARK_URL")
    write_key = args[1] if len(args) > 1 else os.environ.get("WAYMARK_WRITE_KEY")
    if not url or not write_key:
        print(__doc__, file=sys.stderr)
        return 2

    errors = []

    def on_error(error, batch):
        errors.append(error)
        print(f"rudderstack on_error: {error!r} ({len(batch)} messages)", file=sys.stderr)

    # gzip is left at its default (True): the test checks that the server saw it.
    client = Client(write_key, host=url, on_error=on_error, max_retries=3, timeout=10)

    client.page(
        anonymous_id=ANON,
        category="Docs",
        name="Pricing",
        properties={"url": "https://example.com/pricing", "path": "/pricing"},
    )
    client.track(anonymous_id=ANON, event="Product Viewed", properties={"sku": "X1", "price": 9.5})
    client.identify(
        USER,
        {
            "email": "grace@example.com",
            "name": "Grace Hopper",
            "plan": "team",
            "address": {"city": "Arlington", "state": "VA"},
        },
        context={"consent": {"categoryPreferences": {"marketing": False, "analytics": True}}},
    )
    client.track(
        USER,
        "Order Completed",
        {"revenue": 19.99, "currency": "USD", "products": [{"sku": "R2", "quantity": 1}]},
    )
    client.screen(USER, name="Home", properties={"tab": "feed"})
    client.alias(ANON, USER)
    client.track(anonymous_id=ANON, event="Coupon Applied", properties={"code": "SPRING"})
    for _ in range(2):
        client.track(USER, "Newsletter Subscribed", {"list": "weekly"}, message_id="rudder-py-dup-1")

    client.shutdown()
    if errors:
        print(f"rudder-sdk-python reported {len(errors)} error(s)", file=sys.stderr)
        return 1
    print("rudder-sdk-python: all messages delivered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
