// Channel availability through the real server: buffers (static, percent, dynamic from
// sales velocity), pool order, protection, pickup's two signals, radius, anti-hoarding
// limits, backorder dates and locked promises.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call } from './harness.mjs';

let server;
const now = () => new Date().toISOString();
let serial = 0;
const event = (type, sku, location, quantity, extra = {}) => ({
  id: `av-${++serial}`, source: 'wms', type, sku, location, quantity, occurred_at: now(), ...extra });
const post = (body) => call(server, 'POST', '/v1/events', { body });

before(async () => {
  server = await startServer();
  const put = async (path, body) => assert.equal((await call(server, 'PUT', path, { body })).status, 200, path);
  await put('/v1/locations/W1', { type: 'warehouse', lat: 51.34, lon: 12.37 });
  await put('/v1/locations/BER', { type: 'store', lat: 52.52, lon: 13.40, protected_min: 2, count_sla_hours: 24 });
  await put('/v1/locations/MUC', { type: 'store', lat: 48.14, lon: 11.58, count_sla_hours: 24 });
  await put('/v1/sources/wms', { priority: 100 });
  await put('/v1/channels/web', { locations: [{ id: 'BER', priority: 2 }, { id: 'W1', priority: 1 }, { id: 'MUC', priority: 3 }],
    buffer: { units: 1 }, pickup: true, backorder: true, reservation_quantity: { min: 1, max: 5 } });
  await put('/v1/channels/market', { locations: [{ id: 'W1', priority: 1 }], buffer: { units: 1, percent: 10 }, sync_latency_seconds: 86400 });
});
after(async () => { await server.stop(); });

test('pool order, buffer, protection and a reason for every location', async () => {
  await post({ events: [event('receipt', 'AV1', 'W1', 10), event('count', 'AV1', 'BER', 3), event('count', 'AV1', 'MUC', 1)] });
  const r = await call(server, 'GET', '/v1/availability/AV1?channel=web');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.locations.map((l) => l.location), ['W1', 'BER', 'MUC']);
  const [w1, ber, muc] = r.body.locations;
  assert.equal(w1.available, 9);
  assert.equal(w1.reason, 'contributes');
  assert.equal(ber.available, 0);
  assert.equal(ber.reason, 'protected');  // 3 - 1 buffer - 2 protected
  assert.equal(muc.reason, 'below_buffer');
  assert.equal(r.body.available, 9);
});

test('percent and dynamic buffers: a fast seller holds more back on a slow marketplace', async () => {
  await post(event('receipt', 'AV2', 'W1', 100));
  let r = await call(server, 'GET', '/v1/availability/AV2?channel=market');
  assert.deepEqual(r.body.locations[0].buffer, { static: 1, percent: 10, dynamic: 0, applied: 10 });
  await post(event('sale', 'AV2', 'W1', 70));  // 10 units/day, sync latency one day
  r = await call(server, 'GET', '/v1/availability/AV2?channel=market');
  const w1 = r.body.locations[0];
  // 10 expected in the day's latency, and as a fast mover (70 today) also the forecast's
  // error at 95 %: 1.645 · √70 ≈ 13.8 (a first day's error is Poisson's).
  assert.equal(w1.velocity_class, 'fast');
  assert.equal(w1.buffer.dynamic, 24);
  assert.equal(w1.buffer.percent, 3);
  assert.equal(w1.buffer.applied, 24);
  assert.equal(w1.available, 6);
  assert.ok(Math.abs(w1.sales_per_day - 10) < 0.1);
  const web = await call(server, 'GET', '/v1/availability/AV2?channel=web');
  assert.equal(web.body.locations[0].buffer.dynamic, 0);  // first party: no sync latency
});

test('pickup is offered only when on-hand and a fresh count agree, and says which failed', async () => {
  await post({ events: [event('count', 'AV3', 'BER', 4), event('receipt', 'AV3', 'MUC', 4)] });
  const r = await call(server, 'GET', '/v1/availability/AV3?channel=web&quantity=3');
  const ber = r.body.locations.find((l) => l.location === 'BER');
  const muc = r.body.locations.find((l) => l.location === 'MUC');
  assert.deepEqual(ber.pickup, { eligible: true, reason: 'eligible', on_hand_covers: true, count_fresh: true });
  assert.equal(muc.pickup.eligible, false);
  assert.equal(muc.pickup.reason, 'never_counted');
  assert.equal(muc.pickup.on_hand_covers, true);
  const more = await call(server, 'GET', '/v1/availability/AV3?channel=web&quantity=4');
  assert.equal(more.body.locations.find((l) => l.location === 'BER').pickup.reason, 'insufficient_on_hand');
  const hold = await call(server, 'POST', '/v1/reservations', { body: { sku: 'AV3', channel: 'web', quantity: 3, location: 'BER', pickup: true } });
  assert.equal(hold.status, 201, hold.text);
  const stale = await call(server, 'POST', '/v1/reservations', { body: { sku: 'AV3', channel: 'web', quantity: 1, location: 'MUC', pickup: true } });
  assert.equal(stale.status, 409);  // never counted: nothing sellable for pickup
  const warehouse = await call(server, 'POST', '/v1/reservations', { body: { sku: 'AV3', channel: 'web', quantity: 1, location: 'W1', pickup: true } });
  assert.equal(warehouse.body.type, '/problems/pickup-not-offered');
});

test('stores beyond the shopper radius ship nothing', async () => {
  await post({ events: [event('count', 'AV4', 'BER', 10), event('count', 'AV4', 'MUC', 10)] });
  const r = await call(server, 'GET', '/v1/availability/AV4?channel=web&lat=52.5&lon=13.4&radius_km=50');
  const ber = r.body.locations.find((l) => l.location === 'BER');
  const muc = r.body.locations.find((l) => l.location === 'MUC');
  assert.equal(ber.reason, 'contributes');
  assert.ok(ber.distance_km < 5);
  assert.equal(muc.reason, 'out_of_radius');
  assert.equal(muc.available, 0);
  assert.equal(r.body.available, ber.available);
  const hold = await call(server, 'POST', '/v1/reservations', { body: { sku: 'AV4', channel: 'web', quantity: 5, lat: 52.5, lon: 13.4, radius_km: 50 } });
  assert.equal(hold.body.location, 'BER');
  const far = await call(server, 'POST', '/v1/reservations', { body: { sku: 'AV4', channel: 'web', quantity: 5, lat: 52.5, lon: 13.4, radius_km: 50 } });
  assert.equal(far.status, 409);  // Munich could, but is out of radius
  const bad = await call(server, 'GET', '/v1/availability/AV4?channel=web&lat=52.5&lon=13.4');
  assert.equal(bad.status, 422);
});

test('anti-hoarding limits per channel', async () => {
  await post(event('receipt', 'AV5', 'W1', 100));
  const r = await call(server, 'POST', '/v1/reservations', { body: { sku: 'AV5', channel: 'web', quantity: 6 } });
  assert.equal(r.status, 422);
  assert.equal(r.body.type, '/problems/quantity-limit');
  assert.equal(r.body.max, 5);
  assert.equal((await call(server, 'POST', '/v1/reservations', { body: { sku: 'AV5', channel: 'web', quantity: 5 } })).status, 201);
  // Per SKU: a hot item may be held at most 2 per reservation on this channel.
  const limited = await call(server, 'PUT', '/v1/channels/limited', { body: { locations: [{ id: 'W1', priority: 1 }],
    reservation_quantity: { min: 1, max: 10, skus: { AV5: { min: 1, max: 2 } } } } });
  assert.equal(limited.status, 200);
  assert.deepEqual(limited.body.reservation_quantity.skus, { AV5: { min: 1, max: 2 } });
  const hot = await call(server, 'POST', '/v1/reservations', { body: { sku: 'AV5', channel: 'limited', quantity: 3 } });
  assert.equal(hot.body.type, '/problems/quantity-limit');
  assert.equal(hot.body.max, 2);
  await post(event('receipt', 'AV5-OTHER', 'W1', 20));
  assert.equal((await call(server, 'POST', '/v1/reservations', { body: { sku: 'AV5-OTHER', channel: 'limited', quantity: 3 } })).status, 201);
});

test('backorder: quantity and date from open POs, promises locked, slips put them at risk', async () => {
  const po = (id, quantity, expected_at) => call(server, 'POST', '/v1/purchase-orders', { body: { id, vendor: 'acme', sku: 'AV6', location: 'W1', quantity, expected_at } });
  assert.equal((await po('AV6-LATE', 10, '2026-12-20T00:00:00Z')).status, 201);
  assert.equal((await po('AV6-EARLY', 3, '2026-12-12T00:00:00Z')).status, 201);
  let a = await call(server, 'GET', '/v1/availability/AV6?channel=web');
  assert.equal(a.body.available, 0);
  assert.deepEqual(a.body.backorder, { available: 13, expected_at: '2026-12-12T00:00:00.000Z', promise_to: '2026-12-15T00:00:00.000Z' });
  const first = await call(server, 'POST', '/v1/reservations', { body: { sku: 'AV6', channel: 'web', quantity: 3, backorder: true } });
  assert.equal(first.status, 201);
  assert.equal(first.body.promise_from, '2026-12-12T00:00:00.000Z');
  a = await call(server, 'GET', '/v1/availability/AV6?channel=web');
  assert.equal(a.body.backorder.expected_at, '2026-12-20T00:00:00.000Z');  // first promise took the early PO
  const slip = await po('AV6-EARLY', 3, '2026-12-30T00:00:00Z');
  assert.equal(slip.status, 200);
  assert.equal(slip.body.promises_at_risk, 1);
  const after = await call(server, 'GET', `/v1/reservations/${first.body.id}`);
  assert.equal(after.body.at_risk, true);
  assert.equal(after.body.promise_to, '2026-12-15T00:00:00.000Z');  // never silently moved
  const market = await call(server, 'POST', '/v1/reservations', { body: { sku: 'AV6', channel: 'market', quantity: 1, backorder: true } });
  assert.equal(market.body.type, '/problems/backorder-not-offered');
  assert.equal((await call(server, 'GET', '/v1/purchase-orders/AV6-EARLY')).body.promised, 3);
  assert.equal((await call(server, 'GET', '/v1/purchase-orders/NOPE')).status, 404);
  const moved = await call(server, 'POST', '/v1/purchase-orders', { body: { id: 'AV6-EARLY', vendor: 'acme', sku: 'OTHER', location: 'W1', quantity: 3, expected_at: '2026-12-30T00:00:00Z' } });
  assert.equal(moved.status, 409);
});

test('bundles: availability is the minimum over components; holds are all at once or none', async () => {
  const put = await call(server, 'PUT', '/v1/bundles/KIT', { body: { components: [{ sku: 'CAM', quantity: 1 }, { sku: 'BAT', quantity: 2 }] } });
  assert.equal(put.status, 200);
  assert.equal((await call(server, 'PUT', '/v1/bundles/BAD', { body: { components: [{ sku: 'KIT', quantity: 1 }] } })).status, 422);
  assert.equal((await call(server, 'PUT', '/v1/bundles/SELF', { body: { components: [{ sku: 'SELF', quantity: 1 }] } })).status, 422);
  await post({ events: [event('receipt', 'CAM', 'W1', 6), event('receipt', 'BAT', 'W1', 7)] });
  const a = await call(server, 'GET', '/v1/availability/KIT?channel=market');
  assert.equal(a.status, 200);
  assert.equal(a.body.bundle, true);
  // market holds back max(1, 10%) per position: CAM 6-1=5, BAT 7-1=6 -> min(5/1, 6/2) = 3
  assert.equal(a.body.available, 3);
  assert.equal(a.body.locations[0].limited_by, 'BAT');
  const held = await call(server, 'POST', '/v1/reservations', { body: { sku: 'KIT', channel: 'market', quantity: 3 } });
  assert.equal(held.status, 201, held.text);
  assert.equal(held.body.kind, 'group');
  assert.equal(held.body.reservations.length, 2);
  assert.match(held.headers.get('location'), /^\/v1\/reservations\/g/);
  const stock = async (sku) => (await call(server, 'GET', `/v1/stock/${sku}`)).body.positions.find((p) => p.location === 'W1');
  assert.equal((await stock('CAM')).reserved, 3);
  assert.equal((await stock('BAT')).reserved, 6);
  // A cart with one more kit and one loose battery: BAT needs 2 + 1 > what is left; nothing is held.
  const cart = await call(server, 'POST', '/v1/reservations', { body: { channel: 'market', lines: [{ sku: 'KIT', quantity: 1 }, { sku: 'BAT', quantity: 1 }] } });
  assert.equal(cart.status, 409);
  assert.equal((await stock('CAM')).reserved, 3);
  assert.equal((await stock('BAT')).reserved, 6);
  const got = await call(server, 'GET', `/v1/reservations/${held.body.id}`);
  assert.equal(got.body.state, 'active');
  const released = await call(server, 'DELETE', `/v1/reservations/${held.body.id}`);
  assert.equal(released.status, 200);
  assert.equal(released.body.state, 'released');
  assert.equal((await stock('BAT')).reserved, 0);
  assert.equal((await call(server, 'DELETE', `/v1/reservations/${held.body.id}`)).status, 409);
  const ok = await call(server, 'POST', '/v1/reservations', { body: { channel: 'market', lines: [{ sku: 'KIT', quantity: 1 }, { sku: 'BAT', quantity: 1 }] } });
  assert.equal(ok.status, 201, ok.text);
  assert.equal((await stock('BAT')).reserved, 3);
  const committed = await call(server, 'POST', `/v1/reservations/${ok.body.id}/commit`, { body: { order_id: 'o-kit' } });
  assert.equal(committed.body.state, 'committed');
  assert.equal((await stock('BAT')).allocated, 3);
  assert.equal((await call(server, 'GET', '/v1/bundles/KIT')).body.components.length, 2);
  assert.equal((await call(server, 'DELETE', '/v1/bundles/KIT')).status, 204);
});

test('Idempotency-Key on a bundle reservation: the first response is replayed, once held', async () => {
  assert.equal((await call(server, 'PUT', '/v1/bundles/PAIR', { body: { components: [{ sku: 'LEFT', quantity: 1 }, { sku: 'RIGHT', quantity: 1 }] } })).status, 200);
  await post({ events: [event('receipt', 'LEFT', 'W1', 10), event('receipt', 'RIGHT', 'W1', 10)] });
  const body = { sku: 'PAIR', channel: 'market', quantity: 2 };
  const first = await call(server, 'POST', '/v1/reservations', { body, headers: { 'idempotency-key': 'pair-1' } });
  assert.equal(first.status, 201, first.text);
  const again = await call(server, 'POST', '/v1/reservations', { body, headers: { 'idempotency-key': 'pair-1' } });
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.text, first.text);
  const stock = async (sku) => (await call(server, 'GET', `/v1/stock/${sku}`)).body.positions[0];
  assert.equal((await stock('LEFT')).reserved, 2);  // held once
  await call(server, 'POST', `/v1/reservations/${first.body.id}/commit`, { body: { order_id: 'o-pair' } });
  const later = await call(server, 'POST', '/v1/reservations', { body, headers: { 'idempotency-key': 'pair-1' } });
  assert.equal(later.text, first.text);  // still the first response
  const other = await call(server, 'POST', '/v1/reservations', { body: { ...body, quantity: 1 }, headers: { 'idempotency-key': 'pair-1' } });
  assert.equal(other.status, 422);
  assert.equal(other.body.type, '/problems/idempotency-conflict');
  assert.equal((await stock('LEFT')).allocated, 2);
});
