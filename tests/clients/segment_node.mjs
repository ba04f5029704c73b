// Sends a small user journey to Waymark with the real @segment/analytics-node client.
//
// Usage: node segment_node.mjs URL WRITE_KEY   (or WAYMARK_URL and WAYMARK_WRITE_KEY)
//
// The library is the unmodified one pinned in package.json / package-lock.json; this file
// must sit where `@segment/analytics-node` resolves (next to its node_modules). What is sent
// (the test in crates/waymark/tests/it/clients.rs asserts exactly this):
//   anonymous seg-node-anon: page Docs/Pricing, track Product Viewed
//   seg-node-user: identify (email, name, plan, nested address), track Order Completed (with
//   consent in context), screen Home, alias seg-node-anon -> seg-node-user, then track Coupon
//   Applied as seg-node-anon, and track Newsletter Subscribed twice with one messageId.
// Exits 1 when the library reported any error (an event callback's error, an 'error' event,
// or a call whose callback never ran), 2 on bad usage.

import { Analytics } from '@segment/analytics-node'

const USER = 'seg-node-user'
const ANON = 'seg-node-anon'

const url = process.argv[2] ?? process.env.WAYMARK_URL
const writeKey = process.argv[3] ?? process.env.WAYMARK_WRITE_KEY
if (!url || !writeKey) {
  console.error('usage: node segment_node.mjs URL WRITE_KEY')
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
      console.error(`analytics-node: ${what} failed:`, err)
    }
  }
}

const analytics = new Analytics({
  writeKey,
  host: url,
  // Bounded, so that a broken server fails the test quickly; one retry of a lost response
  // is still within budget.
  maxRetries: 3,
  httpRequestTimeout: 10000,
})
analytics.on('error', (err) => {
  errors.push(err)
  console.error('analytics-node error event:', err)
})

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
      email: 'linus@example.com',
      name: 'Linus Pauling',
      plan: 'enterprise',
      address: { city: 'Portland', state: 'OR' },
    },
  },
  callback('identify'),
)
analytics.track(
  {
    userId: USER,
    event: 'Order Completed',
    properties: { revenue: 99.0, currency: 'USD', products: [{ sku: 'N3', quantity: 3 }] },
    context: { consent: { categoryPreferences: { marketing: true, analytics: true } } },
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
      messageId: 'seg-node-dup-1',
    },
    callback('track Newsletter Subscribed'),
  )
}

await analytics.closeAndFlush({ timeout: 30000 })
if (done !== calls) {
  errors.push(new Error(`${calls - done} of ${calls} calls never completed`))
  console.error(`analytics-node: ${calls - done} of ${calls} calls never completed`)
}
if (errors.length > 0) {
  console.error(`analytics-node reported ${errors.length} error(s)`)
  process.exit(1)
}
console.log('analytics-node: all messages delivered')
