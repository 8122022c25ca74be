// Orders through the real server: routing with an explanation, the split policy,
// protected stores, reserved lines, cancellations by reason, shipments, re-routes,
// delivery, returns routing, bad input, and the order KPIs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call } from './harness.mjs';

let server;
const now = () => new Date().toISOString();
let serial = 0;
const event = (type, sku, location, quantity, extra = {}) => ({
  id: `or-${++serial}`, source: 'wms', type, sku, location, quantity, occurred_at: now(), ...extra });
const post = async (body) => {
  const r = await call(server, 'POST', '/v1/events', { body });
  assert.equal(r.status, 200);
  for (const result of r.body.results ?? [r.body]) assert.equal(result.status, 'applied', JSON.stringify(result));
};
const BERLIN = { lat: 52.52, lon: 13.40 };
const position = async (sku, location) => {
  const r = await call(server, 'GET', `/v1/stock/${sku}`);
  return r.body.positions.find((p) => p.location === location) ?? { on_hand: 0, allocated: 0, reserved: 0 };
};

before(async () => {
  server = await startServer();
  const put = async (path, body) => assert.equal((await call(server, 'PUT', path, { body })).status, 200, path);
  await put('/v1/locations/LEJ', { type: 'warehouse', lat: 51.34, lon: 12.37, ship_cost_cents: 300, accepts_damaged: true });
  await put('/v1/locations/POT', { type: 'warehouse', lat: 52.40, lon: 13.06, ship_cost_cents: 700 });
  await put('/v1/locations/BER', { type: 'store', lat: 52.52, lon: 13.40, ship_cost_cents: 200, protected_min: 2, ship_radius_km: 50 });
  await put('/v1/sources/wms', { priority: 100 });
  await put('/v1/channels/web', { locations: [{ id: 'LEJ', priority: 1 }, { id: 'POT', priority: 2 }, { id: 'BER', priority: 3 }] });
});
after(async () => { await server.stop(); });

test('an order ships from the cheapest plan and says why', async () => {
  await post({ events: [event('receipt', 'OR1', 'LEJ', 10), event('receipt', 'OR1', 'POT', 10)] });
  const r = await call(server, 'POST', '/v1/orders', { body: {
    id: 'o-1', channel: 'web', lines: [{ sku: 'OR1', quantity: 3 }], ship_to: BERLIN } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.headers.get('location'), '/v1/orders/o-1');
  assert.equal(r.body.state, 'allocated');
  assert.deepEqual(r.body.shipments.map((s) => s.location), ['LEJ']);
  assert.deepEqual(r.body.lines[0].allocations.map((a) => [a.location, a.quantity]), [['LEJ', 3]]);
  assert.match(r.body.explanation, /1 shipment from LEJ/);
  const verdicts = Object.fromEntries(r.body.plan.considered.map((n) => [n.location, n.verdict]));
  assert.deepEqual(verdicts, { LEJ: 'shipping', POT: 'cheaper_plan', BER: 'nothing_to_ship' });
  assert.ok(Date.parse(r.body.promised_delivery.to) > Date.parse(r.body.promised_delivery.from));
  assert.equal((await position('OR1', 'LEJ')).allocated, 3);
  // The same request again replays the order; another body under the id is refused.
  const again = await call(server, 'POST', '/v1/orders', { body: {
    id: 'o-1', channel: 'web', lines: [{ sku: 'OR1', quantity: 3 }], ship_to: BERLIN } });
  assert.equal(again.status, 200);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal((await position('OR1', 'LEJ')).allocated, 3);
  const other = await call(server, 'POST', '/v1/orders', { body: {
    id: 'o-1', channel: 'web', lines: [{ sku: 'OR1', quantity: 4 }], ship_to: BERLIN } });
  assert.equal(other.status, 409);
  assert.equal(other.body.type, '/problems/order-exists');
});

test('no split unless allowed; a refusal explains itself and holds nothing', async () => {
  await post({ events: [event('receipt', 'OR2A', 'LEJ', 2), event('receipt', 'OR2B', 'POT', 2)] });
  const lines = [{ sku: 'OR2A', quantity: 1 }, { sku: 'OR2B', quantity: 1 }];
  const whole = await call(server, 'POST', '/v1/orders', { body: { id: 'o-2', channel: 'web', lines, ship_to: BERLIN } });
  assert.equal(whole.status, 409);
  assert.equal(whole.headers.get('content-type'), 'application/problem+json');
  assert.equal(whole.body.type, '/problems/no-route');
  assert.ok(whole.body.considered.length === 3);
  assert.equal((await position('OR2A', 'LEJ')).allocated, 0);
  const split = await call(server, 'POST', '/v1/orders', { body: { id: 'o-3', channel: 'web', lines, ship_to: BERLIN, allow_partial: true, max_shipments: 2 } });
  assert.equal(split.status, 201);
  assert.deepEqual(split.body.shipments.map((s) => s.location).sort(), ['LEJ', 'POT']);
});

test('protected store units never ship; reserved lines ship from their hold', async () => {
  await post(event('count', 'OR3', 'BER', 3));
  const tooMany = await call(server, 'POST', '/v1/orders', { body: { id: 'o-4', channel: 'web', lines: [{ sku: 'OR3', quantity: 2 }], ship_to: BERLIN } });
  assert.equal(tooMany.status, 409);
  const hold = await call(server, 'POST', '/v1/reservations', { body: { sku: 'OR3', channel: 'web', quantity: 1 } });
  assert.equal(hold.status, 201);
  const r = await call(server, 'POST', '/v1/orders', { body: { id: 'o-5', channel: 'web',
    lines: [{ sku: 'OR3', quantity: 1, reservation_id: hold.body.id }], ship_to: BERLIN } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.lines[0].allocations[0].location, 'BER');
  const p = await position('OR3', 'BER');
  assert.equal(p.reserved, 0);
  assert.equal(p.allocated, 1);
  const reused = await call(server, 'POST', '/v1/orders', { body: { id: 'o-6', channel: 'web',
    lines: [{ sku: 'OR3', quantity: 1, reservation_id: hold.body.id }], ship_to: BERLIN } });
  assert.equal(reused.status, 409);
  assert.equal(reused.body.type, '/problems/reservation-not-active');
});

test('shipments close allocations, cancel returns the rest with its reason, delivery closes the promise', async () => {
  await post(event('receipt', 'OR4', 'LEJ', 10));
  assert.equal((await call(server, 'POST', '/v1/orders', { body: { id: 'o-7', channel: 'web', lines: [{ sku: 'OR4', quantity: 4 }], ship_to: BERLIN } })).status, 201);
  await post(event('shipment', 'OR4', 'LEJ', 1, { reference: 'o-7' }));
  let r = await call(server, 'GET', '/v1/orders/o-7');
  assert.equal(r.body.state, 'partially_shipped');
  assert.deepEqual(r.body.progress[0], { sku: 'OR4', location: 'LEJ', allocated: 4, shipped: 1, cancelled: 0, open: 3 });
  const early = await call(server, 'POST', '/v1/orders/o-7/cancel', { body: { reason: 'because' } });
  assert.equal(early.status, 422);
  r = await call(server, 'POST', '/v1/orders/o-7/cancel', { body: { reason: 'address_failure' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.state, 'shipped');
  assert.equal(r.body.cancellation.reason, 'address_failure');
  const p = await position('OR4', 'LEJ');
  assert.equal(p.allocated, 0);
  assert.equal(p.on_hand, 9);
  assert.equal((await call(server, 'POST', '/v1/orders/o-7/cancel', { body: { reason: 'other' } })).body.type, '/problems/order-closed');
  const delivered = await call(server, 'POST', '/v1/orders/o-7/delivered', { body: { delivered_at: now() } });
  assert.equal(delivered.status, 200);
  assert.equal(delivered.body.state, 'delivered');
  assert.equal(delivered.body.delivered_on_time, true);
  // The cancellation is a fact in the ledger, counted by reason.
  const kpis = await call(server, 'GET', '/v1/kpis');
  assert.equal(kpis.body.cancellations_by_reason.address_failure, 3);
});

test('a re-route moves open units away from a node and counts as an intervention', async () => {
  await post({ events: [event('receipt', 'OR5', 'LEJ', 5), event('receipt', 'OR5', 'POT', 5)] });
  assert.equal((await call(server, 'POST', '/v1/orders', { body: { id: 'o-8', channel: 'web', lines: [{ sku: 'OR5', quantity: 2 }], ship_to: BERLIN } })).status, 201);
  const r = await call(server, 'POST', '/v1/orders/o-8/reroute', { body: { from_locations: ['LEJ'], reason: 'damaged_discovery' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.interventions, 1);
  assert.deepEqual(r.body.shipments.map((s) => s.location), ['POT']);
  assert.equal((await position('OR5', 'LEJ')).allocated, 0);
  assert.equal((await position('OR5', 'POT')).allocated, 2);
  await post(event('shipment', 'OR5', 'POT', 2, { reference: 'o-8' }));
  const kpis = await call(server, 'GET', '/v1/kpis');
  assert.equal(kpis.status, 200);
  const orders = kpis.body.orders;
  assert.ok(orders.shipped >= 2, JSON.stringify(orders));
  assert.ok(orders.shipped_without_intervention < orders.shipped);
  assert.ok(orders.allocation_accuracy < 1);
  assert.equal(orders.delivered, 1);
  assert.equal(orders.promise_accuracy, 1);
});

test('returns go where they resell soonest, damaged ones to a node that takes them', async () => {
  const minuteAgo = new Date(Date.now() - 60_000).toISOString();
  await post({ events: [event('receipt', 'OR6', 'LEJ', 50), event('count', 'OR6', 'BER', 3, { occurred_at: minuteAgo }), event('sale', 'OR6', 'BER', 1)] });
  const resell = await call(server, 'POST', '/v1/returns/route', { body: { sku: 'OR6', condition: 'resellable', from: BERLIN } });
  assert.equal(resell.status, 200);
  assert.equal(resell.body.location, 'BER');
  assert.ok(resell.body.options.length >= 2);
  const damaged = await call(server, 'POST', '/v1/returns/route', { body: { sku: 'OR6', condition: 'damaged', from: BERLIN } });
  assert.equal(damaged.body.location, 'LEJ');
  const none = await call(server, 'POST', '/v1/returns/route', { body: { sku: 'OR6', condition: 'damaged', from: BERLIN, reach_km: 10 } });
  assert.equal(none.status, 409);
  assert.equal(none.body.type, '/problems/no-return-node');
});

test('bad order input is refused with a named field and changes nothing', async () => {
  const bad = [
    [{ id: 'x', channel: 'web', lines: [], ship_to: BERLIN }, 'lines'],
    [{ id: 'x', channel: 'web', lines: [{ sku: 'OR1', quantity: 0 }], ship_to: BERLIN }, 'lines'],
    [{ id: 'x', channel: 'nope', lines: [{ sku: 'OR1', quantity: 1 }], ship_to: BERLIN }, 'channel'],
    [{ id: 'x', channel: 'web', lines: [{ sku: 'OR1', quantity: 1 }] }, 'ship_to'],
    [{ id: 'x', channel: 'web', lines: [{ sku: 'OR1', quantity: 1 }], ship_to: { lat: 99, lon: 0 } }, 'ship_to'],
    [{ id: 'x/y', channel: 'web', lines: [{ sku: 'OR1', quantity: 1 }], ship_to: BERLIN }, 'id'],
    [{ id: 'x', channel: 'web', lines: [{ sku: 'OR1', quantity: 1 }], ship_to: BERLIN, max_shipments: 2 }, 'max_shipments'],
    [{ id: 'x', channel: 'web', lines: [{ sku: 'OR1', quantity: 1 }], ship_to: BERLIN, colour: 'red' }, 'colour'],
  ];
  const before = await position('OR1', 'LEJ');
  for (const [body, field] of bad) {
    const r = await call(server, 'POST', '/v1/orders', { body });
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(r.body.field, field, JSON.stringify(r.body));
  }
  assert.deepEqual(await position('OR1', 'LEJ'), before);
  assert.equal((await call(server, 'GET', '/v1/orders/missing')).status, 404);
  assert.equal((await call(server, 'POST', '/v1/orders/missing/delivered', { body: { delivered_at: now() } })).status, 404);
});
