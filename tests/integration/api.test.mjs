// Every route, every scope, every error type, through the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, call, declareShop, receipt, tempDir, STOCKD } from './harness.mjs';

let server;
before(async () => { server = await startServer(); await declareShop(server); });
after(async () => { await server.stop(); });

function isProblem(response, status, type) {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get('content-type'), /^application\/problem\+json/);
  assert.equal(response.body.type, type);
  assert.equal(response.body.status, status);
  assert.ok(response.body.title && response.body.detail, 'problem has a title and a detail');
}

test('the design core flow, end to end', async () => {
  const r = await call(server, 'POST', '/v1/events', { body: { id: 'r-1', source: 'wms', type: 'receipt', sku: 'TEE-RED-M', location: 'W1', quantity: 100, occurred_at: '2026-11-27T10:00:00Z' } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { results: [{ id: 'r-1', status: 'applied', version: 1 }] });

  const a = await call(server, 'GET', '/v1/availability/TEE-RED-M?channel=web');
  assert.equal(a.status, 200);
  assert.equal(a.body.available, 98);
  assert.equal(a.body.locations[0].location, 'W1');
  assert.equal(a.body.locations[0].available, 98);

  const hold = await call(server, 'POST', '/v1/reservations', { body: { sku: 'TEE-RED-M', channel: 'web', quantity: 3 }, headers: { 'idempotency-key': 'cart-42-line-1' } });
  assert.equal(hold.status, 201);
  assert.equal(hold.body.location, 'W1');
  assert.equal(hold.body.quantity, 3);
  assert.equal(hold.headers.get('location'), `/v1/reservations/${hold.body.id}`);
  assert.ok(Date.parse(hold.body.expires_at) > Date.now() + 800_000);

  const committed = await call(server, 'POST', `/v1/reservations/${hold.body.id}/commit`, { body: { order_id: 'o-1001' } });
  assert.equal(committed.status, 200);
  assert.equal(committed.body.state, 'committed');
  assert.equal(committed.body.order_id, 'o-1001');
  assert.equal(hold.body.version, 2);  // the position's version after the hold
  assert.equal(committed.body.version, 3);

  const stock = await call(server, 'GET', '/v1/stock/TEE-RED-M');
  assert.equal(stock.status, 200);
  const w1 = stock.body.positions.find((p) => p.location === 'W1');
  assert.equal(w1.on_hand, 100);
  assert.equal(w1.reserved, 0);
  assert.equal(w1.allocated, 3);
  assert.equal(w1.available, 97);
  assert.equal(w1.version, 3);
});

test('a refusal is 409 insufficient-stock with what is available', async () => {
  await call(server, 'POST', '/v1/events', { body: receipt('TINY', 4) });
  const r = await call(server, 'POST', '/v1/reservations', { body: { sku: 'TINY', channel: 'web', quantity: 3 } });
  isProblem(r, 409, '/problems/insufficient-stock');
  assert.equal(r.body.available, 2);  // 4 on hand minus the 2-unit buffer
});

test('batches, NDJSON and per-event results', async () => {
  const batch = { events: [receipt('B1', 5), { ...receipt('B1', 1), location: 'NOWHERE' }, receipt('B1', 2)] };
  const r = await call(server, 'POST', '/v1/events', { body: batch });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.results.map((x) => x.status), ['applied', 'rejected', 'applied']);
  assert.equal(r.body.results[1].error, 'unknown_location');
  assert.equal(r.body.results[1].field, 'location');

  const lines = [receipt('B2', 1), receipt('B2', 2)].map((e) => JSON.stringify(e)).join('\n') + '\n';
  const n = await call(server, 'POST', '/v1/events', { raw: lines, headers: { 'content-type': 'application/x-ndjson' } });
  assert.equal(n.status, 200);
  assert.equal(n.body.results.length, 2);
  const stock = await call(server, 'GET', '/v1/stock/B2');
  assert.equal(stock.body.positions[0].on_hand, 3);
});

test('a repeat is a duplicate with the first result; another payload is a conflict', async () => {
  const e = receipt('DUP', 5);
  assert.equal((await call(server, 'POST', '/v1/events', { body: e })).body.results[0].status, 'applied');
  const again = await call(server, 'POST', '/v1/events', { body: e });
  assert.deepEqual(again.body.results[0], { id: e.id, status: 'duplicate', version: 1 });
  const conflict = await call(server, 'POST', '/v1/events', { body: { ...e, quantity: 6 } });
  isProblem(conflict, 422, '/problems/idempotency-conflict');
});

test('Idempotency-Key: replay returns the first response; another payload is 422', async () => {
  await call(server, 'POST', '/v1/events', { body: receipt('IDEM', 50) });
  const body = { sku: 'IDEM', channel: 'web', quantity: 2 };
  const first = await call(server, 'POST', '/v1/reservations', { body, headers: { 'idempotency-key': 'k-1' } });
  const replay = await call(server, 'POST', '/v1/reservations', { body, headers: { 'idempotency-key': 'k-1' } });
  assert.equal(first.status, 201);
  assert.equal(replay.status, 201);
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.equal(replay.text, first.text);
  const other = await call(server, 'POST', '/v1/reservations', { body: { ...body, quantity: 3 }, headers: { 'idempotency-key': 'k-1' } });
  isProblem(other, 422, '/problems/idempotency-conflict');
  const stock = await call(server, 'GET', '/v1/stock/IDEM');
  assert.equal(stock.body.positions[0].reserved, 2);
});

test('reservations: get, release, not active, not found', async () => {
  await call(server, 'POST', '/v1/events', { body: receipt('REL', 10) });
  const hold = await call(server, 'POST', '/v1/reservations', { body: { sku: 'REL', channel: 'web', quantity: 1, ttl_seconds: 60 } });
  assert.equal(hold.status, 201);
  const got = await call(server, 'GET', `/v1/reservations/${hold.body.id}`);
  assert.equal(got.body.state, 'active');
  const released = await call(server, 'DELETE', `/v1/reservations/${hold.body.id}`);
  assert.equal(released.status, 200);
  assert.equal(released.body.state, 'released');
  isProblem(await call(server, 'DELETE', `/v1/reservations/${hold.body.id}`), 409, '/problems/reservation-not-active');
  isProblem(await call(server, 'POST', `/v1/reservations/${hold.body.id}/commit`, { body: { order_id: 'o' } }), 409, '/problems/reservation-not-active');
  isProblem(await call(server, 'GET', '/v1/reservations/r0000-0000000000000000'), 404, '/problems/not-found');
  isProblem(await call(server, 'GET', '/v1/reservations/nonsense'), 404, '/problems/not-found');
});

test('If-Match on a count is compare-and-set', async () => {
  await call(server, 'POST', '/v1/events', { body: receipt('CAS', 10) });
  const count = { id: 'count-1', source: 'wms', type: 'count', sku: 'CAS', location: 'W1', quantity: 8, occurred_at: new Date().toISOString() };
  isProblem(await call(server, 'POST', '/v1/events', { body: count, headers: { 'if-match': '"7"' } }), 412, '/problems/version-mismatch');
  const ok = await call(server, 'POST', '/v1/events', { body: count, headers: { 'if-match': '"1"' } });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.results[0].version, 2);
  isProblem(await call(server, 'POST', '/v1/events', { body: receipt('CAS', 1), headers: { 'if-match': '"2"' } }), 422, '/problems/validation');
});

test('availability query for many SKUs', async () => {
  await call(server, 'POST', '/v1/events', { body: { events: [receipt('Q1', 10), receipt('Q2', 1)] } });
  const r = await call(server, 'POST', '/v1/availability/query', { body: { channel: 'web', skus: ['Q1', 'Q2', 'Q3'] } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.items.map((i) => i.available), [8, 0, 0]);
});

test('configuration routes', async () => {
  assert.equal((await call(server, 'GET', '/v1/locations/W1')).body.name, 'Leipzig DC');
  assert.ok((await call(server, 'GET', '/v1/locations')).body.locations.length >= 2);
  assert.equal((await call(server, 'GET', '/v1/sources/wms')).body.priority, 100);
  assert.equal((await call(server, 'GET', '/v1/channels/web')).body.buffer.units, 2);
  assert.equal((await call(server, 'GET', '/v1/sources')).status, 200);
  assert.equal((await call(server, 'GET', '/v1/channels')).status, 200);
  isProblem(await call(server, 'DELETE', '/v1/locations/W1'), 409, '/problems/location-in-use');
  assert.equal((await call(server, 'PUT', '/v1/locations/TMP', { body: { type: 'dropship' } })).status, 200);
  assert.equal((await call(server, 'DELETE', '/v1/locations/TMP')).status, 204);
  isProblem(await call(server, 'GET', '/v1/locations/TMP'), 404, '/problems/not-found');
  isProblem(await call(server, 'PUT', '/v1/locations/BAD', { body: { type: 'castle' } }), 422, '/problems/validation');
  isProblem(await call(server, 'PUT', '/v1/locations/BAD', { body: { lat: 200 } }), 422, '/problems/validation');
  isProblem(await call(server, 'PUT', '/v1/channels/c2', { body: { locations: [{ id: 'NOPE', priority: 1 }] } }), 422, '/problems/unknown-location');
  isProblem(await call(server, 'PUT', '/v1/sources/s1', { body: { priority: 'high' } }), 422, '/problems/validation');
  isProblem(await call(server, 'PUT', '/v1/sources/s1', { body: { priority: 1, colour: 'red' } }), 422, '/problems/validation');
  isProblem(await call(server, 'PUT', '/v1/sources/s1', { body: { id: 'other', priority: 1 } }), 422, '/problems/validation');
});

test('bad input always gets a clear error and changes nothing', async () => {
  const before = await call(server, 'GET', '/v1/stock/TEE-RED-M');
  isProblem(await call(server, 'POST', '/v1/events', { raw: '{"id":', headers: { 'content-type': 'application/json' } }), 400, '/problems/malformed-json');
  isProblem(await call(server, 'POST', '/v1/events', { body: [1, 2] }), 422, '/problems/validation');
  isProblem(await call(server, 'POST', '/v1/events', { body: { events: 'x' } }), 422, '/problems/validation');
  isProblem(await call(server, 'POST', '/v1/events', { body: { events: [], extra: 1 } }), 422, '/problems/validation');
  isProblem(await call(server, 'POST', '/v1/events', { body: { events: [] } }), 422, '/problems/validation');
  isProblem(await call(server, 'POST', '/v1/events', { body: { ...receipt('TEE-RED-M', 1), quantity: 1.5 } }), 422, '/problems/validation');
  isProblem(await call(server, 'POST', '/v1/events', { body: { ...receipt('TEE-RED-M', 1), quantity: -1 } }), 422, '/problems/validation');
  isProblem(await call(server, 'POST', '/v1/events', { body: { ...receipt('TEE-RED-M', 1), type: 'teleport' } }), 422, '/problems/validation');
  isProblem(await call(server, 'POST', '/v1/events', { body: { ...receipt('TEE-RED-M', 1), location: 'NOPE' } }), 422, '/problems/unknown-location');
  isProblem(await call(server, 'POST', '/v1/events', { body: { ...receipt('TEE-RED-M', 1), source: 'erp' } }), 422, '/problems/unknown-source');
  isProblem(await call(server, 'POST', '/v1/events', { body: { ...receipt('TEE-RED-M', 1), occurred_at: 'yesterday' } }), 422, '/problems/validation');
  const big = { events: Array.from({ length: 10001 }, () => receipt('TEE-RED-M', 1)) };
  isProblem(await call(server, 'POST', '/v1/events', { body: big }), 413, '/problems/batch-too-large');
  isProblem(await call(server, 'POST', '/v1/reservations', { body: { sku: 'TEE-RED-M', channel: 'nope', quantity: 1 } }), 422, '/problems/unknown-channel');
  isProblem(await call(server, 'POST', '/v1/reservations', { body: { sku: 'TEE-RED-M', channel: 'web', quantity: 0 } }), 422, '/problems/validation');
  isProblem(await call(server, 'POST', '/v1/reservations', { body: { sku: 'TEE RED', channel: 'web', quantity: 1 } }), 422, '/problems/validation');
  isProblem(await call(server, 'POST', '/v1/reservations', { body: { sku: 'TEE-RED-M', channel: 'web', quantity: 1, location: 'ELSEWHERE' } }), 422, '/problems/location-not-in-channel');
  isProblem(await call(server, 'GET', '/v1/availability/TEE-RED-M'), 422, '/problems/validation');
  isProblem(await call(server, 'GET', '/v1/availability/TEE-RED-M?channel=nope'), 422, '/problems/unknown-channel');
  isProblem(await call(server, 'GET', '/v1/stock/NEVER-SEEN'), 404, '/problems/unknown-sku');
  isProblem(await call(server, 'GET', '/v1/stock/BAD%20SKU'), 422, '/problems/validation');
  isProblem(await call(server, 'GET', '/v1/nothing-here'), 404, '/problems/not-found');
  const wrong = await call(server, 'PATCH', '/v1/events');
  isProblem(wrong, 405, '/problems/method-not-allowed');
  assert.equal(wrong.headers.get('allow'), 'POST');
  const after = await call(server, 'GET', '/v1/stock/TEE-RED-M');
  assert.deepEqual(after.body, before.body);
});

test('every scope: 401 without a valid token, 403 without the scope', async () => {
  isProblem(await call(server, 'GET', '/v1/stock/TEE-RED-M', { token: null }), 401, '/problems/unauthorized');
  isProblem(await call(server, 'GET', '/v1/stock/TEE-RED-M', { token: 'stk_nope_nope' }), 401, '/problems/unauthorized');
  assert.equal((await call(server, 'GET', '/healthz', { token: null })).status, 200);
  assert.equal((await call(server, 'GET', '/readyz', { token: null })).status, 200);
});

test('tokens from the CLI: scopes enforced, stored hashed, revocable', async () => {
  const dir = tempDir();
  const create = (name, scopes) => execFileSync(STOCKD, ['token', 'create', '--data-dir', dir, '--name', name, '--scopes', scopes], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const reader = create('dashboard', 'stock:read');
  const writer = create('wms', 'events:write');
  const checkout = create('checkout', 'reservations:write,stock:read');
  const list = execFileSync(STOCKD, ['token', 'list', '--data-dir', dir], { encoding: 'utf8' });
  assert.match(list, /dashboard/);
  assert.ok(!list.includes(reader.split('_')[2]), 'secrets are never listed');
  assert.throws(() => execFileSync(STOCKD, ['token', 'create', '--data-dir', dir, '--name', 'x', '--scopes', 'root'], { stdio: 'pipe' }));

  const s = await startServer({ dataDir: dir, keepData: true });
  try {
    await declareShop(s);
    await call(s, 'POST', '/v1/events', { body: receipt('SCOPED', 10) });
    assert.equal((await call(s, 'GET', '/v1/stock/SCOPED', { token: reader })).status, 200);
    const denied = await call(s, 'POST', '/v1/events', { body: receipt('SCOPED', 1), token: reader });
    isProblem(denied, 403, '/problems/forbidden');
    assert.equal(denied.body.required_scope, 'events:write');
    assert.equal((await call(s, 'POST', '/v1/events', { body: receipt('SCOPED', 1), token: writer })).status, 200);
    isProblem(await call(s, 'GET', '/v1/stock/SCOPED', { token: writer }), 403, '/problems/forbidden');
    isProblem(await call(s, 'POST', '/v1/reservations', { body: { sku: 'SCOPED', channel: 'web', quantity: 1 }, token: writer }), 403, '/problems/forbidden');
    assert.equal((await call(s, 'POST', '/v1/reservations', { body: { sku: 'SCOPED', channel: 'web', quantity: 1 }, token: checkout })).status, 201);
    isProblem(await call(s, 'PUT', '/v1/sources/x', { body: { priority: 1 }, token: checkout }), 403, '/problems/forbidden');
  } finally {
    await s.stop();
  }
  const id = reader.split('_')[1];
  execFileSync(STOCKD, ['token', 'revoke', '--data-dir', dir, id]);
  const again = await startServer({ dataDir: dir });
  try {
    isProblem(await call(again, 'GET', '/v1/stock/SCOPED', { token: reader }), 401, '/problems/unauthorized');
  } finally {
    await again.stop();
  }
});
