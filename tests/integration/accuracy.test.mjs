// Accuracy through the real server: cycle counts and snapshots with their variance,
// reconciliation, the count schedule, ASNs matched by receipts, the vendor scorecard, and
// returns normalization.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call, declareShop, receipt } from './harness.mjs';

let server;
const hoursAgo = (h) => new Date(Date.now() - h * 3600_000).toISOString();
const post = async (body) => {
  const r = await call(server, 'POST', '/v1/events', { body });
  assert.equal(r.status, 200, r.text);
  return r.body;
};
const position = async (sku, location) => {
  const r = await call(server, 'GET', `/v1/stock/${sku}`);
  return r.body.positions.find((p) => p.location === location);
};

before(async () => {
  server = await startServer();
  await declareShop(server);
});
after(async () => { await server.stop(); });

test('a cycle count reports every variance with its value, once', async () => {
  await post({ events: [receipt('AC-A', 10, 'S1', { occurred_at: hoursAgo(2) }), receipt('AC-B', 4, 'S1', { occurred_at: hoursAgo(2) })] });
  assert.equal((await call(server, 'PUT', '/v1/items/AC-A', { body: { unit_cost_cents: 250 } })).status, 200);
  const body = { id: 'cc-1', location: 'S1', source: 'wms', counter: 'anna', counted_at: hoursAgo(1),
    lines: [{ sku: 'AC-A', quantity: 8 }, { sku: 'AC-B', quantity: 5 }] };
  const r = await call(server, 'POST', '/v1/counts', { body });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body.lines.map((l) => [l.sku, l.status, l.system, l.variance]), [['AC-A', 'applied', 10, -2], ['AC-B', 'applied', 4, 1]]);
  assert.equal(r.body.lines[0].variance_value_cents, -500);
  assert.equal(r.body.variance.variance_units, 3);
  assert.equal(r.body.variance.system_units, 14);
  assert.equal(r.body.counter, 'anna');
  assert.equal((await position('AC-A', 'S1')).on_hand, 8);
  const again = await call(server, 'POST', '/v1/counts', { body });
  assert.equal(again.status, 200);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(again.body.lines, r.body.lines);
  assert.equal((await position('AC-A', 'S1')).on_hand, 8);
  const changed = await call(server, 'POST', '/v1/counts', { body: { ...body, lines: [{ sku: 'AC-A', quantity: 7 }] } });
  assert.equal(changed.status, 409);
  assert.equal(changed.body.type, '/problems/count-exists');
  assert.equal((await call(server, 'GET', '/v1/counts/cc-1')).body.lines.length, 2);
});

test('a snapshot counts what it does not list as zero', async () => {
  await post({ events: [receipt('AC-S1', 3, 'W1', { occurred_at: hoursAgo(2) }), receipt('AC-S2', 6, 'W1', { occurred_at: hoursAgo(2) })] });
  const r = await call(server, 'POST', '/v1/counts', { body: { id: 'snap-1', kind: 'snapshot', location: 'W1', source: 'wms', counted_at: hoursAgo(1),
    lines: [{ sku: 'AC-S1', quantity: 3 }] } });
  assert.equal(r.status, 201, r.text);
  const s2 = r.body.lines.find((l) => l.sku === 'AC-S2');
  assert.deepEqual([s2.counted, s2.system, s2.variance], [0, 6, -6]);
  assert.equal((await position('AC-S2', 'W1')).on_hand, 0);
});

test('reconciliation by location and aging, with top offenders and a trend', async () => {
  const r = await call(server, 'GET', '/v1/reconciliation?location=S1');
  assert.equal(r.status, 200);
  assert.equal(r.body.overall.counts, 2);
  assert.equal(r.body.overall.variance_units, 3);
  assert.equal(r.body.overall.variance_value_cents, 500);
  assert.equal(r.body.by_aging.first.counts, 2);
  assert.equal(r.body.top_offenders[0].sku, 'AC-A');
  assert.equal(r.body.trend.length, 1);
  const all = await call(server, 'GET', '/v1/reconciliation');
  assert.equal(all.body.by_location.W1.variance_units, 6);
  assert.equal((await call(server, 'GET', '/v1/reconciliation?location=NOPE')).status, 422);
});

test('the count schedule puts negative on-hand first and says why', async () => {
  await post({ id: 'ac-neg', source: 'pos', type: 'sale', sku: 'AC-NEG', location: 'S1', quantity: 2, occurred_at: new Date().toISOString() });
  const r = await call(server, 'GET', '/v1/counts/schedule?location=S1&capacity=2');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.schedule.length, 2);
  assert.equal(r.body.schedule[0].sku, 'AC-NEG');
  assert.ok(r.body.schedule[0].reasons.includes('negative_on_hand'));
  assert.ok(r.body.schedule[0].reasons.includes('never_counted'));
  assert.equal((await call(server, 'GET', '/v1/counts/schedule?location=S1&capacity=0')).status, 422);
});

test('an ASN is matched line by line by the receipts naming it, and scores its vendor', async () => {
  const po = await call(server, 'POST', '/v1/purchase-orders', { body: { id: 'AC-PO-1', vendor: 'acme', sku: 'AC-V', location: 'W1', quantity: 10, expected_at: hoursAgo(0.5) } });
  assert.equal(po.status, 201, po.text);
  const asn = await call(server, 'POST', '/v1/asns', { body: { id: 'AC-ASN-1', vendor: 'acme', po: 'AC-PO-1', expected_at: hoursAgo(0.5),
    lines: [{ sku: 'AC-V', quantity: 10 }, { sku: 'AC-W', quantity: 5 }] } });
  assert.equal(asn.status, 201, asn.text);
  await post({ events: [receipt('AC-V', 8, 'W1', { reference: 'AC-ASN-1' }), receipt('AC-W', 5, 'W1', { reference: 'AC-ASN-1' })] });
  const got = await call(server, 'GET', '/v1/asns/AC-ASN-1');
  assert.deepEqual(got.body.lines.map((l) => [l.sku, l.received, l.as_announced]), [['AC-V', 8, false], ['AC-W', 5, true]]);
  // The receipt naming the ASN counted against its PO.
  assert.equal((await call(server, 'GET', '/v1/purchase-orders/AC-PO-1')).body.received, 8);
  const card = await call(server, 'GET', '/v1/vendors/acme/scorecard');
  assert.equal(card.status, 200, card.text);
  assert.equal(card.body.asn_accuracy.line_accuracy, 0.5);
  assert.equal(card.body.asn_accuracy.unit_accuracy, 0.8667);  // 1 - 2/15
  assert.equal(card.body.on_time_rate, 1);
  assert.equal(card.body.fill_rate, 0.8);
  assert.ok(card.body.lead_time_days.mean >= 0);
  assert.equal((await call(server, 'GET', '/v1/vendors/nobody/scorecard')).status, 404);
  const other = await call(server, 'POST', '/v1/asns', { body: { id: 'AC-ASN-1', vendor: 'acme', expected_at: hoursAgo(0.5), lines: [{ sku: 'AC-V', quantity: 1 }] } });
  assert.equal(other.status, 409);
  const wrongPo = await call(server, 'POST', '/v1/asns', { body: { id: 'AC-ASN-2', vendor: 'other', po: 'AC-PO-1', expected_at: hoursAgo(0.5), lines: [{ sku: 'AC-V', quantity: 1 }] } });
  assert.equal(wrongPo.status, 422);
  assert.equal(wrongPo.body.type, '/problems/unknown-purchase-order');
});

test('a resellable return where the SKU was never carried goes to quarantine', async () => {
  const r = await post({ id: 'ac-ret-1', source: 'wms', type: 'return', sku: 'AC-NEVER', location: 'S1', quantity: 1, condition: 'resellable', occurred_at: new Date().toISOString() });
  assert.deepEqual(r.results[0].anomalies, ['return_quarantined']);
  const p = await position('AC-NEVER', 'S1');
  assert.equal(p.on_hand, 0);
  assert.equal(p.quarantine, 1);
  // Where the SKU is carried, it is back on hand.
  const back = await post({ id: 'ac-ret-2', source: 'wms', type: 'return', sku: 'AC-A', location: 'S1', quantity: 1, condition: 'resellable', occurred_at: new Date().toISOString() });
  assert.equal(back.results[0].anomalies, undefined);
  assert.equal((await position('AC-A', 'S1')).on_hand, 9);
});

test('bad count input is refused with the field and changes nothing', async () => {
  const base = { id: 'bad-1', location: 'S1', source: 'wms', counted_at: hoursAgo(1), lines: [{ sku: 'AC-A', quantity: 1 }] };
  const cases = [
    [{ ...base, lines: [{ sku: 'AC-A', quantity: 1 }, { sku: 'AC-A', quantity: 2 }] }, 'lines'],
    [{ ...base, location: 'NOPE' }, 'location'],
    [{ ...base, source: 'nope' }, 'source'],
    [{ ...base, kind: 'guess' }, 'kind'],
    [{ ...base, counted_at: 'yesterday' }, 'counted_at'],
    [{ ...base, lines: [{ sku: 'AC-A', quantity: -1 }] }, 'lines'],
  ];
  for (const [body, field] of cases) {
    const r = await call(server, 'POST', '/v1/counts', { body });
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(r.body.field, field);
  }
  assert.equal((await position('AC-A', 'S1')).on_hand, 9);
  assert.equal((await call(server, 'GET', '/v1/counts/bad-1')).status, 404);
});
