// Sends a small user journey to Waymark with the real @rudderstack/rudder-sdk-node client,
// with its default options: it gzips every body and labels it
// `Content-Type: application/x-www-form-urlencoded`.
//
// Usage: node rudder_node.mjs URL WRITE_KEY   (or WAYMARK_URL and WAYMARK_WRITE_KEY)
//
// The library is the unmodified one pinned in package.json / package-lock.json; this file
// must sit where `@rudderstack/rudder-sdk-node` resolves (next to its node_modules). What is
// sent (the test in crates/waymark/tests/it/clients.rs asserts exactly this):
//   anonymous rudder-node-anon: page Docs/Pricing, track Product Viewed
//   rudder-node-user: identify (email, name, plan, nested address), track Order Completed
//   (with consent in context), screen Home, alias rudder-node-anon -> rudder-node-user, then
//   track Coupon Applied as rudder-node-anon, and track Newsletter Subscribed twice with one
//   messageId.
// Exits 1 when the library reported any error (an event callback's error or a call whose
// callback never ran), 2 on bad usage.

import Analytics from '@rudderstack/rudder-sdk-node'

const USER = 'rudder-node-user'
const ANON = 'rudder-node-anon'

const url = process.argv[2] ?? process.env.WAYMARK_URL
const writeKey = process.argv[3] ?? process.env.WAYMARK_WRITE_KEY
if (!url || !writeKey) {
  console.error('usage: node rudder_node.mjs URL WRITE_KEY')
  process.exit(2)
}

const errors = []
let calls = 0
let done = 0
const callback = (what) => {
  calls += 1
  return (err) => {
    done += 1
    if (err) {
      errors.push(err)
      console.error(`rudder-sdk-node: ${what} failed:`, err)
    }
  }
}

// Default options but the data plane's address.
const analytics = new Analytics(writeKey, { dataPlaneUrl: url })

analytics.page(
  {
    anonymousId: ANON,
    category: 'Docs',
    name: 'Pricing',
    properties: { url: 'https://example.com/pricing', path: '/pricing' },
  },
  callback('page'),
)
analytics.track(
  { anonymousId: ANON, event: 'Product Viewed', properties: { sku: 'X1', price: 9.5 } },
  callback('track Product Viewed'),
)
analytics.identify(
  {
    userId: USER,
    traits: {
      email: 'rosalind@example.com',
      name: 'Rosalind Franklin',
      plan: 'team',
      address: { city: 'London', state: 'LDN' },
    },
  },
  callback('identify'),
)
analytics.track(
  {
    userId: USER,
    event: 'Order Completed',
    properties: { revenue: 12.5, currency: 'GBP', products: [{ sku: 'RN4', quantity: 4 }] },
    context: { consent: { categoryPreferences: { marketing: false, analytics: false } } },
  },
  callback('track Order Completed'),
)
analytics.screen({ userId: USER, name: 'Home', properties: { tab: 'feed' } }, callback('screen'))
analytics.alias({ previousId: ANON, userId: USER }, callback('alias'))
analytics.track(
  { anonymousId: ANON, event: 'Coupon Applied', properties: { code: 'SPRING' } },
  callback('track Coupon Applied'),
)
for (let i = 0; i < 2; i++) {
  analytics.track(
    {
      userId: USER,
      event: 'Newsletter Subscribed',
      properties: { list: 'weekly' },
      messageId: 'rudder-node-dup-1',
    },
    callback('track Newsletter Subscribed'),
  )
}

try {
  await analytics.flush()
} catch (err) {
  errors.push(err)
  console.error('rudder-sdk-node: flush failed:', err)
}
// The library runs the calls' callbacks in a setImmediate queued when the flush settled:
// this one runs after them.
await new Promise((resolve) => setImmediate(resolve))
if (done !== calls) {
  errors.push(new Error(`${calls - done} of ${calls} calls never completed`))
  console.error(`rudder-sdk-node: ${calls - done} of ${calls} calls never completed`)
}
if (errors.length > 0) {
  console.error(`rudder-sdk-node reported ${errors.length} error(s)`)
  process.exit(1)
}
console.log('rudder-sdk-node: all messages delivered')
