// Races: nothing is promised twice, and retries apply once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call, declareShop, receipt } from './harness.mjs';

let server;
before(async () => {
  server = await startServer();
  await declareShop(server);
  const r = await call(server, 'PUT', '/v1/channels/race', { body: { locations: [{ id: 'W1', priority: 1 }] } });
  assert.equal(r.status, 200);
});
after(async () => { await server.stop(); });

test('64 clients race to reserve 100 units: exactly 100 are promised', async () => {
  await call(server, 'POST', '/v1/events', { body: receipt('RACE', 100) });
  let granted = 0;
  let refused = 0;
  const client = async (n) => {
    while (true) {
      const quantity = 1 + (n % 3);
      const r = await call(server, 'POST', '/v1/reservations', { body: { sku: 'RACE', channel: 'race', quantity } });
      if (r.status === 201) { granted += quantity; continue; }
      assert.equal(r.status, 409, r.text);
      assert.equal(r.body.type, '/problems/insufficient-stock');
      refused += 1;
      if (r.body.available === 0) return;
    }
  };
  await Promise.all(Array.from({ length: 64 }, (_, n) => client(n)));
  assert.equal(granted, 100);
  assert.ok(refused >= 64);
  const stock = await call(server, 'GET', '/v1/stock/RACE');
  const w1 = stock.body.positions[0];
  assert.equal(w1.on_hand, 100);
  assert.equal(w1.reserved, 100);
  assert.equal(w1.available, 0);
});

test('the same Idempotency-Key retried concurrently reserves once', async () => {
  await call(server, 'POST', '/v1/events', { body: receipt('IDEM-RACE', 50) });
  const body = { sku: 'IDEM-RACE', channel: 'race', quantity: 5 };
  const responses = await Promise.all(Array.from({ length: 24 }, () =>
    call(server, 'POST', '/v1/reservations', { body, headers: { 'idempotency-key': 'checkout-7' } })));
  const created = responses.filter((r) => r.status === 201);
  const inFlight = responses.filter((r) => r.status === 409);
  assert.equal(created.length + inFlight.length, responses.length, responses.map((r) => r.status).join());
  for (const r of inFlight) assert.equal(r.body.type, '/problems/idempotency-in-flight');
  assert.ok(created.length >= 1);
  assert.equal(new Set(created.map((r) => r.body.id)).size, 1, 'every success names the same reservation');
  const stock = await call(server, 'GET', '/v1/stock/IDEM-RACE');
  assert.equal(stock.body.positions[0].reserved, 5);
});

test('the same event id retried concurrently applies once', async () => {
  const event = receipt('EVENT-RACE', 7);
  const responses = await Promise.all(Array.from({ length: 32 }, () => call(server, 'POST', '/v1/events', { body: event })));
  const statuses = responses.map((r) => r.body.results[0].status);
  assert.equal(statuses.filter((s) => s === 'applied').length, 1);
  assert.equal(statuses.filter((s) => s === 'duplicate').length, 31);
  const stock = await call(server, 'GET', '/v1/stock/EVENT-RACE');
  assert.equal(stock.body.positions[0].on_hand, 7);
  assert.equal(stock.body.positions[0].version, 1);
});
