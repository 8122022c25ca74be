// Forecasting through the real server: forecasts from eight weeks of back-dated sales,
// promotions that raise forecasts and dynamic buffers, exceptions found on the stream
// (durable across kill -9, resolvable once), and replenishment suggestions by vendor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, call, declareShop, receipt } from './harness.mjs';

let server;
const DAY = 86400_000;
const daysAgo = (d, hour = 12) => {
  const t = new Date(Date.now() - d * DAY);
  t.setUTCHours(hour, 0, 0, 0);
  return t.toISOString();
};
let serial = 0;
const fact = (type, sku, quantity, location, occurred_at, extra = {}) => ({
  id: `fc-${process.pid}-${++serial}`, source: type === 'sale' ? 'pos' : 'wms', type, sku, location, quantity, occurred_at, ...extra,
});
const post = async (events) => {
  for (let i = 0; i < events.length; i += 500) {
    const r = await call(server, 'POST', '/v1/events', { body: { events: events.slice(i, i + 500) } });
    assert.equal(r.status, 200, r.text);
    for (const result of r.body.results) assert.notEqual(result.status, 'rejected', JSON.stringify(result));
  }
};
const problem = (r, status, type) => {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body.type, type, r.text);
};

before(async () => {
  server = await startServer({ keepData: true });
  await declareShop(server);
  // Dynamic buffer: a day of expected sales.
  const web = await call(server, 'PUT', '/v1/channels/web', { body: { locations: [{ id: 'W1', priority: 1 }, { id: 'S1', priority: 2 }], sync_latency_seconds: 86400 } });
  assert.equal(web.status, 200, web.text);
  // A warehouse that sells nowhere (no channel's pool names it).
  assert.equal((await call(server, 'PUT', '/v1/locations/W9', { body: { type: 'warehouse', name: 'Overflow' } })).status, 200);
  // FC-A: 10 a day for 56 days. FC-B: 5 a day for 28 days, running low.
  const events = [receipt('FC-A', 1000, 'W1', { occurred_at: daysAgo(60) }), receipt('FC-B', 200, 'W1', { occurred_at: daysAgo(30) })];
  for (let d = 56; d >= 1; --d) {
    events.push(fact('sale', 'FC-A', 4, 'W1', daysAgo(d, 10)), fact('sale', 'FC-A', 6, 'W1', daysAgo(d, 15)));
    if (d <= 28) events.push(fact('sale', 'FC-B', 5, 'W1', daysAgo(d, 11)));
  }
  await post(events);
});
after(async () => {
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
});

test('a steady seller is forecast at its rate, with an interval and a daily breakdown', async () => {
  const r = await call(server, 'GET', '/v1/forecast/FC-A?location=W1&horizon_days=7');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.sku, 'FC-A');
  assert.equal(r.body.horizon_days, 7);
  const [w1] = r.body.locations;
  assert.equal(w1.location, 'W1');
  assert.equal(w1.method, 'ewma');
  assert.equal(w1.demand_pattern, 'smooth');
  assert.equal(w1.velocity_class, 'fast');
  assert.equal(w1.daily_rate, 10);
  assert.equal(w1.forecast_units, 70);
  assert.ok(w1.interval.low < 70 && w1.interval.high > 70, JSON.stringify(w1.interval));
  assert.equal(w1.daily.length, 7);
  assert.equal(w1.history_days, 56);
  assert.equal(r.body.forecast_units, 70);
  // Without a location: every location holding the SKU.
  const all = await call(server, 'GET', '/v1/forecast/FC-A');
  assert.deepEqual(all.body.locations.map((l) => l.location), ['W1']);
  // A SKU nobody sold: method none, dormant, zero.
  const none = await call(server, 'GET', '/v1/forecast/NEVER-SOLD?location=W1');
  assert.equal(none.status, 200);
  assert.equal(none.body.locations[0].method, 'none');
  assert.equal(none.body.locations[0].velocity_class, 'dormant');
  assert.equal(none.body.forecast_units, 0);
});

test('bad forecast queries are refused with a clear problem', async () => {
  problem(await call(server, 'GET', '/v1/forecast/FC-A?horizon_days=0'), 422, '/problems/validation');
  problem(await call(server, 'GET', '/v1/forecast/FC-A?horizon_days=91'), 422, '/problems/validation');
  problem(await call(server, 'GET', '/v1/forecast/FC-A?horizon_days=7x'), 422, '/problems/validation');
  problem(await call(server, 'GET', '/v1/forecast/FC-A?location=NOPE'), 422, '/problems/unknown-location');
  problem(await call(server, 'GET', '/v1/forecast/bad%20sku'), 422, '/problems/validation');
});

test('a promotion raises the forecast and the channel\'s dynamic buffer in its window, and only then', async () => {
  const before = await call(server, 'GET', '/v1/availability/FC-A?channel=web');
  const w1Before = before.body.locations.find((l) => l.location === 'W1');
  assert.equal(before.body.promotion_factor, 1);
  // ≈ 9.8 a day expected in the day's latency + 1.645 · √10 for a fast mover.
  assert.equal(w1Before.velocity_class, 'fast');
  assert.ok(w1Before.buffer.dynamic >= 14 && w1Before.buffer.dynamic <= 16, JSON.stringify(w1Before.buffer));

  const now = Date.now();
  const body = { id: 'black-friday', sku: 'FC-A', channel: 'web', from: new Date(now - 3600_000).toISOString(), to: new Date(now + 3 * DAY).toISOString(), expected_uplift: 0.5 };
  const created = await call(server, 'POST', '/v1/promotions', { body });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.headers.get('location'), '/v1/promotions/black-friday');
  assert.equal(created.body.active, true);
  assert.equal((await call(server, 'POST', '/v1/promotions', { body })).status, 200);
  problem(await call(server, 'POST', '/v1/promotions', { body: { ...body, expected_uplift: 0.7 } }), 409, '/problems/promotion-exists');

  const f = await call(server, 'GET', '/v1/forecast/FC-A?location=W1&horizon_days=7');
  const w1 = f.body.locations[0];
  assert.equal(w1.daily_rate, 10);  // the model itself is unchanged
  // +50 % of 10 a day over the part of the window inside the horizon, which starts at
  // today's UTC midnight (three days and one hour, less what fell before midnight).
  const todayStart = Date.UTC(new Date(f.body.as_of).getUTCFullYear(), new Date(f.body.as_of).getUTCMonth(), new Date(f.body.as_of).getUTCDate());
  const coveredDays = (now + 3 * DAY - Math.max(now - 3600_000, todayStart)) / DAY;
  assert.ok(Math.abs(w1.promotion_uplift_units - 0.5 * 10 * coveredDays) < 0.02, JSON.stringify(w1));
  assert.ok(Math.abs(w1.forecast_units - 70 - w1.promotion_uplift_units) < 0.02, JSON.stringify(w1));
  assert.equal(w1.daily[5].units, 10);  // after the window

  const during = await call(server, 'GET', '/v1/availability/FC-A?channel=web');
  assert.equal(during.body.promotion_factor, 1.5);
  const w1During = during.body.locations.find((l) => l.location === 'W1');
  assert.ok(Math.abs(w1During.buffer.dynamic - w1Before.buffer.dynamic * 1.5) <= 1, JSON.stringify(w1During.buffer));
  assert.equal(w1During.available, w1Before.available - (w1During.buffer.applied - w1Before.buffer.applied));
  // Another SKU is not promoted.
  assert.equal((await call(server, 'GET', '/v1/availability/FC-B?channel=web')).body.promotion_factor, 1);

  const listed = await call(server, 'GET', '/v1/promotions');
  assert.deepEqual(listed.body.promotions.map((p) => p.id), ['black-friday']);
  assert.equal((await call(server, 'DELETE', '/v1/promotions/black-friday')).status, 204);
  problem(await call(server, 'DELETE', '/v1/promotions/black-friday'), 404, '/problems/not-found');
  assert.equal((await call(server, 'GET', '/v1/availability/FC-A?channel=web')).body.promotion_factor, 1);
});

test('bad promotions are refused and change nothing', async () => {
  const now = Date.now();
  const good = { channel: 'web', from: new Date(now).toISOString(), to: new Date(now + DAY).toISOString(), expected_uplift: 0.2, all: true };
  problem(await call(server, 'POST', '/v1/promotions', { body: { ...good, sku: 'FC-A' } }), 422, '/problems/validation');
  problem(await call(server, 'POST', '/v1/promotions', { body: { ...good, all: false } }), 422, '/problems/validation');
  problem(await call(server, 'POST', '/v1/promotions', { body: { ...good, channel: 'nope' } }), 422, '/problems/unknown-channel');
  problem(await call(server, 'POST', '/v1/promotions', { body: { ...good, to: good.from } }), 422, '/problems/validation');
  problem(await call(server, 'POST', '/v1/promotions', { body: { ...good, expected_uplift: 0 } }), 422, '/problems/validation');
  problem(await call(server, 'POST', '/v1/promotions', { body: { ...good, expected_uplift: 11 } }), 422, '/problems/validation');
  problem(await call(server, 'POST', '/v1/promotions', { body: { ...good, from: 'yesterday' } }), 422, '/problems/validation');
  problem(await call(server, 'POST', '/v1/promotions', { body: { ...good, colour: 'red' } }), 422, '/problems/validation');
  assert.deepEqual((await call(server, 'GET', '/v1/promotions')).body.promotions, []);
  // Generated id, every SKU.
  const created = await call(server, 'POST', '/v1/promotions', { body: good });
  assert.equal(created.status, 201, created.text);
  assert.match(created.body.id, /^promo-[0-9a-f]{16}$/);
  assert.equal(created.body.all, true);
  assert.equal((await call(server, 'DELETE', `/v1/promotions/${created.body.id}`)).status, 204);
});

test('anomalies on the stream become exceptions with a suggested action, kept across kill -9, resolved once', async () => {
  await post([
    fact('shrink', 'FC-A', 40, 'W1', new Date().toISOString(), { reason: 'theft' }),
    receipt('FC-W9', 10, 'W9'),
    fact('sale', 'FC-W9', 2, 'W9', new Date().toISOString()),
    fact('sale', 'FC-A', 3, 'W1', new Date().toISOString()),  // an ordinary sale: nothing
  ]);
  let r = await call(server, 'GET', '/v1/exceptions');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.open, 2);
  assert.equal(r.body.open_by_kind.loss_spike, 1);
  assert.equal(r.body.open_by_kind.unexpected_sale, 1);
  const spike = r.body.exceptions.find((e) => e.kind === 'loss_spike');
  assert.equal(spike.sku, 'FC-A');
  assert.equal(spike.suggested_action, 'inspect');
  assert.equal(spike.units, 40);
  assert.equal(spike.threshold_units, 8);
  assert.equal(spike.event.type, 'shrink');
  assert.match(spike.why, /40 units/);
  const stray = r.body.exceptions.find((e) => e.kind === 'unexpected_sale');
  assert.equal(stray.location, 'W9');
  const metrics = (await call(server, 'GET', '/metrics')).text;
  assert.match(metrics, /^stockd_stock_exceptions_total\{kind="loss_spike"\} 1$/m);
  assert.match(metrics, /^stockd_stock_exceptions_open 2$/m);
  // Each open exception is also an alert, until it is resolved.
  let alert;
  for (let i = 0; i < 50 && !alert; ++i) {
    alert = (await call(server, 'GET', '/v1/alerts')).body.active.find((a) => a.key === 'stock_exceptions');
    if (!alert) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(alert, 'no stock_exceptions alert');
  assert.match(alert.message, /^2 stock exception/);
  assert.match(alert.action, /GET \/v1\/exceptions/);

  // Written with the fact: a kill -9 right after the acknowledgement keeps it.
  await server.kill9();
  server = await startServer({ dataDir: server.dataDir, keepData: true });
  r = await call(server, 'GET', '/v1/exceptions?kind=loss_spike');
  assert.deepEqual(r.body.exceptions.map((e) => e.id), [spike.id]);

  problem(await call(server, 'POST', `/v1/exceptions/${spike.id}/resolve`, { body: {} }), 422, '/problems/validation');
  problem(await call(server, 'POST', '/v1/exceptions/x9-999/resolve', { body: { resolution: 'n/a' } }), 404, '/problems/not-found');
  const resolved = await call(server, 'POST', `/v1/exceptions/${spike.id}/resolve`, { body: { resolution: 'confirmed theft, police report 17' } });
  assert.equal(resolved.status, 200, resolved.text);
  assert.equal(resolved.body.status, 'resolved');
  assert.equal(resolved.body.resolution, 'confirmed theft, police report 17');
  problem(await call(server, 'POST', `/v1/exceptions/${spike.id}/resolve`, { body: { resolution: 'again' } }), 409, '/problems/already-resolved');
  r = await call(server, 'GET', '/v1/exceptions');
  assert.equal(r.body.open, 1);
  assert.match((await call(server, 'GET', '/metrics')).text, /^stockd_stock_exceptions_open 1$/m);
  assert.deepEqual(r.body.exceptions.map((e) => e.kind), ['unexpected_sale']);
  r = await call(server, 'GET', '/v1/exceptions?status=resolved');
  assert.deepEqual(r.body.exceptions.map((e) => e.id), [spike.id]);
  problem(await call(server, 'GET', '/v1/exceptions?status=closed'), 422, '/problems/validation');
  problem(await call(server, 'GET', '/v1/exceptions?kind=meteor'), 422, '/problems/validation');
});

test('replenishment suggests what to buy from whom, and why', async () => {
  const po = await call(server, 'POST', '/v1/purchase-orders', { body: { id: 'po-fcb', vendor: 'acme', sku: 'FC-B', location: 'W1', quantity: 10, expected_at: new Date(Date.now() + 7 * DAY).toISOString() } });
  assert.equal(po.status, 201, po.text);
  const r = await call(server, 'GET', '/v1/replenishment?service_level=0.95&review_days=7');
  assert.equal(r.status, 200, r.text);
  const acme = r.body.vendors.find((v) => v.vendor === 'acme');
  assert.ok(acme, JSON.stringify(r.body));
  assert.equal(acme.lead_time_days.source, 'default');
  assert.equal(acme.lead_time_days.mean, 14);
  const [line] = acme.lines;
  assert.equal(line.sku, 'FC-B');
  // 200 received − 140 sold = 60 on hand, + 10 on order = 70. d = 5, σ = √5 (Poisson floor),
  // L = 14, R = 7, z(0.95) = 1.6449: ROP = 70 + 1.6449·√5·√14 = 83.8 ≥ 70; order up to
  // 105 + 1.6449·√5·√21 = 121.9, so 52 units.
  assert.equal(line.inventory_position, 70);
  assert.equal(line.on_order, 10);
  assert.equal(line.reorder_point, 83.76);
  assert.equal(line.suggested_units, 52);
  assert.match(line.why, /reorder point 83\.8/);
  // FC-A has 400+ on hand against 10 a day: nothing to buy.
  assert.ok(!r.body.vendors.some((v) => v.lines.some((l) => l.sku === 'FC-A')));
  const onlyAcme = await call(server, 'GET', '/v1/replenishment?vendor=acme');
  assert.deepEqual(onlyAcme.body.vendors.map((v) => v.vendor), ['acme']);
  problem(await call(server, 'GET', '/v1/replenishment?service_level=1.5'), 422, '/problems/validation');
  problem(await call(server, 'GET', '/v1/replenishment?review_days=-1'), 422, '/problems/validation');
  problem(await call(server, 'GET', '/v1/replenishment?location=NOPE'), 422, '/problems/unknown-location');
});
