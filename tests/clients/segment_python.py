#!/usr/bin/env python3
"""Sends a small user journey to Waymark with the real segment-analytics-python client.

Usage: segment_python.py URL WRITE_KEY   (or WAYMARK_URL and WAYMARK_WRITE_KEY)

The library is the unmodified one pinned in requirements.txt. What is sent (the test in
crates/waymark/tests/it/clients.rs asserts exactly this):
  anonymous seg-py-anon: page Docs/Pricing, track Product Viewed
  seg-py-user: identify (email, name, plan, nested address), track Order Completed (with
  consent in context), screen Home, track Trial Started (historical timestamp), alias
  seg-py-anon -> seg-py-user, then track Coupon Applied as seg-py-anon, and track Newsletter
  Subscribed twice with one messageId (the repeat must be ignored).
Exits 1 when the library reported any error (on_error), 2 on bad usage.
"""

import os
import sys
from datetime import datetime, timezone

from segment.analytics import Client

USER = "seg-py-user"
ANON = "seg-py-anon"


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
        print(f"segment on_error: {error!r} ({len(batch)} messages)", file=sys.stderr)

    client = Client(
        write_key,
        host=url,
        on_error=on_error,
        # Bounded, so that a broken server fails the test quickly instead of retrying for
        # minutes; one retry of a lost response is still within budget.
        max_retries=3,
        timeout=10,
    )

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
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "plan": "pro",
            "address": {"city": "London", "state": "LDN"},
        },
    )
    client.track(
        USER,
        "Order Completed",
        {"revenue": 42.5, "currency": "EUR", "products": [{"sku": "X1", "quantity": 2}]},
        context={"consent": {"categoryPreferences": {"marketing": True, "analytics": False}}},
    )
    client.screen(USER, name="Home", properties={"tab": "feed"})
    client.track(
        USER,
        "Trial Started",
        {"days": 14},
        timestamp=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )
    client.alias(ANON, USER)
    client.track(anonymous_id=ANON, event="Coupon Applied", properties={"code": "SPRING"})
    for _ in range(2):
        client.track(USER, "Newsletter Subscribed", {"list": "weekly"}, message_id="seg-py-dup-1")

    client.shutdown()
    if errors:
        print(f"segment-analytics-python reported {len(errors)} error(s)", file=sys.stderr)
        return 1
    print("segment-analytics-python: all messages delivered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
