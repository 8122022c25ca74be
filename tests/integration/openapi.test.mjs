// docs/openapi.yaml is linted by Redocly, every documented operation exists on the
// server, and real traffic through Prism (a validating proxy) strays from it nowhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { startServer, call, declareShop, receipt, ADMIN } from './harness.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const spec = fileURLToPath(new URL('../../docs/openapi.yaml', import.meta.url));
const bin = (name) => `${here}node_modules/.bin/${name}`;

test('redocly lints the spec clean', () => {
  const lint = spawnSync(bin('redocly'), ['lint', spec, '--config', fileURLToPath(new URL('../../docs/redocly.yaml', import.meta.url))],
    { encoding: 'utf8' });
  assert.equal(lint.status, 0, lint.stdout + lint.stderr);
  assert.match(lint.stdout + lint.stderr, /valid/i);
});

// Every "path: method" pair in the spec, read with a small YAML walk (paths are top
// level under `paths:`, methods two spaces deeper).
function documentedOperations() {
  const lines = readFileSync(spec, 'utf8').split('\n');
  const operations = [];
  let inPaths = false;
  let path = null;
  for (const line of lines) {
    if (/^paths:/.test(line)) { inPaths = true; continue; }
    if (/^\S/.test(line)) inPaths = false;
    if (!inPaths) continue;
    const p = line.match(/^  (\/\S*):\s*$/);
    if (p) { path = p[1]; continue; }
    const m = line.match(/^    (get|put|post|delete|patch):\s*$/);
    if (m && path) operations.push([m[1].toUpperCase(), path]);
  }
  return operations;
}

let server;
before(async () => { server = await startServer(); await declareShop(server); });
after(async () => { await server.stop(); });

test('every documented operation is served', async () => {
  const operations = documentedOperations();
  assert.ok(operations.length >= 20, `found ${operations.length}`);
  for (const [method, path] of operations) {
    if (path === '/v1/stream') {
      // A stream never ends: look at the head, then hang up.
      const controller = new AbortController();
      const response = await fetch(server.url + path, { headers: { authorization: `Bearer ${ADMIN}` }, signal: controller.signal });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type'), /^text\/event-stream/);
      controller.abort();
      continue;
    }
    const concrete = path.replace('{sku}', 'NOPE-SKU').replace('{id}', 'unknown-id');
    const r = await call(server, method, concrete, { raw: method === 'GET' || method === 'DELETE' ? undefined : '{}', headers: { 'content-type': 'application/json' } });
    assert.notEqual(r.status, 405, `${method} ${path}`);
    if (r.status === 404) assert.notEqual(r.body.detail?.startsWith('no route'), true, `${method} ${path} is not routed`);
  }
});

function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => resolve(port)); });
  });
}

test('real traffic through Prism stays within the spec', async () => {
  const port = await freePort();
  const prism = spawn(bin('prism'), ['proxy', spec, server.url, '--errors', '--port', String(port), '--host', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  prism.stdout.on('data', (c) => { log += c; });
  prism.stderr.on('data', (c) => { log += c; });
  try {
    const deadline = Date.now() + 60000;
    while (!/listening/i.test(log)) {
      if (Date.now() > deadline) throw new Error('prism did not start: ' + log);
      await new Promise((r) => setTimeout(r, 200));
    }
    const proxy = { url: `http://127.0.0.1:${port}` };
    const expectations = [];
    const through = async (method, path, options, expected) => {
      const r = await call(proxy, method, path, options);
      const violations = r.headers.get('sl-violations');
      assert.equal(violations, null, `${method} ${path}: ${violations}`);
      assert.equal(r.status, expected, `${method} ${path}: ${r.text}`);
      expectations.push(`${method} ${path} ${r.status}`);
      return r;
    };
    await through('GET', '/healthz', { token: null }, 200);
    await through('GET', '/readyz', { token: null }, 200);
    await through('POST', '/v1/events', { body: receipt('SPEC-1', 20) }, 200);
    await through('POST', '/v1/events', { body: { events: [receipt('SPEC-1', 1), { ...receipt('SPEC-1', 1), location: 'NOWHERE' }] } }, 200);
    await through('POST', '/v1/events', { body: { ...receipt('SPEC-1', 1), location: 'NOWHERE' } }, 422);
    const count = { id: 'spec-count', source: 'wms', type: 'count', sku: 'SPEC-1', location: 'W1', quantity: 5, occurred_at: new Date().toISOString() };
    await through('POST', '/v1/events', { body: count, headers: { 'if-match': '"99"' } }, 412);
    await through('GET', '/v1/stock/SPEC-1', {}, 200);
    await through('GET', '/v1/stock/SPEC-NEVER', {}, 404);
    await through('GET', '/v1/availability/SPEC-1?channel=web', {}, 200);
    await through('POST', '/v1/availability/query', { body: { channel: 'web', skus: ['SPEC-1', 'SPEC-2'] } }, 200);
    const hold = await through('POST', '/v1/reservations', { body: { sku: 'SPEC-1', channel: 'web', quantity: 2 }, headers: { 'idempotency-key': 'spec-k' } }, 201);
    await through('POST', '/v1/reservations', { body: { sku: 'SPEC-1', channel: 'web', quantity: 2 }, headers: { 'idempotency-key': 'spec-k' } }, 201);
    await through('POST', '/v1/reservations', { body: { sku: 'SPEC-1', channel: 'web', quantity: 500 } }, 409);
    await through('GET', `/v1/reservations/${hold.body.id}`, {}, 200);
    await through('POST', `/v1/reservations/${hold.body.id}/commit`, { body: { order_id: 'o-spec' } }, 200);
    await through('DELETE', `/v1/reservations/${hold.body.id}`, {}, 409);
    const other = await through('POST', '/v1/reservations', { body: { sku: 'SPEC-1', channel: 'web', quantity: 1 } }, 201);
    await through('DELETE', `/v1/reservations/${other.body.id}`, {}, 200);
    await through('GET', '/v1/reservations/r0000-0000000000000000', {}, 404);
    await through('PUT', '/v1/locations/SPEC-L', { body: { type: 'store', name: 'Spec store', lat: 1.5, lon: 2, protected_min: 1 } }, 200);
    await through('GET', '/v1/locations/SPEC-L', {}, 200);
    await through('GET', '/v1/locations', {}, 200);
    await through('PUT', '/v1/channels/spec', { body: { locations: [{ id: 'SPEC-L', priority: 1 }], buffer: { units: 1, percent: 5 }, pickup: true } }, 200);
    await through('GET', '/v1/channels/spec', {}, 200);
    await through('GET', '/v1/channels', {}, 200);
    await through('DELETE', '/v1/locations/SPEC-L', {}, 409);
    await through('DELETE', '/v1/channels/spec', {}, 204);
    await through('DELETE', '/v1/locations/SPEC-L', {}, 204);
    await through('PUT', '/v1/sources/spec-src', { body: { priority: 7 } }, 200);
    await through('GET', '/v1/sources/spec-src', {}, 200);
    await through('GET', '/v1/sources', {}, 200);
    await through('DELETE', '/v1/sources/spec-src', {}, 204);
    await through('GET', '/v1/sources/spec-src', {}, 404);
    await through('PUT', '/v1/channels/spec-bo', { body: { locations: [{ id: 'W1', priority: 1 }], backorder: true, reservation_quantity: { min: 1, max: 10 } } }, 200);
    await through('POST', '/v1/purchase-orders', { body: { id: 'SPEC-PO', vendor: 'acme', sku: 'SPEC-BO', location: 'W1', quantity: 5, expected_at: '2026-12-24T00:00:00Z' } }, 201);
    await through('POST', '/v1/purchase-orders', { body: { id: 'SPEC-PO', vendor: 'acme', sku: 'SPEC-BO', location: 'W1', quantity: 6, expected_at: '2026-12-24T00:00:00Z' } }, 200);
    await through('GET', '/v1/purchase-orders/SPEC-PO', {}, 200);
    await through('GET', '/v1/availability/SPEC-BO?channel=spec-bo&quantity=2&lat=52.5&lon=13.4&radius_km=100', {}, 200);
    await through('POST', '/v1/reservations', { body: { sku: 'SPEC-BO', channel: 'spec-bo', quantity: 2, backorder: true } }, 201);
    await through('POST', '/v1/reservations', { body: { sku: 'SPEC-BO', channel: 'spec-bo', quantity: 11 } }, 422);
    await through('PUT', '/v1/bundles/SPEC-KIT', { body: { components: [{ sku: 'SPEC-1', quantity: 1 }, { sku: 'SPEC-BO', quantity: 1 }] } }, 200);
    await through('GET', '/v1/bundles/SPEC-KIT', {}, 200);
    await through('GET', '/v1/bundles', {}, 200);
    await through('POST', '/v1/events', { body: receipt('SPEC-BO', 5) }, 200);
    await through('GET', '/v1/availability/SPEC-KIT?channel=web', {}, 200);
    const kit = await through('POST', '/v1/reservations', { body: { sku: 'SPEC-KIT', channel: 'web', quantity: 1 } }, 201);
    await through('GET', `/v1/reservations/${kit.body.id}`, {}, 200);
    await through('POST', '/v1/reservations', { body: { channel: 'web', lines: [{ sku: 'SPEC-1', quantity: 1 }, { sku: 'SPEC-KIT', quantity: 1 }] } }, 201);
    await through('POST', `/v1/reservations/${kit.body.id}/commit`, { body: { order_id: 'o-kit' } }, 200);
    await through('DELETE', '/v1/bundles/SPEC-KIT', {}, 204);
    await through('PUT', '/v1/sources/spec-signed', { body: { priority: 1, webhook_secrets: ['whsec_' + Buffer.alloc(24, 1).toString('base64')], require_signature: true } }, 200);
    await through('POST', '/v1/events', { body: { ...receipt('SPEC-1', 1), source: 'spec-signed' } }, 401);
    await through('DELETE', '/v1/sources/spec-signed', {}, 204);
    const hook = await through('POST', '/v1/webhooks', { body: { url: 'http://127.0.0.1:9/spec', channels: ['web'], rate_per_second: 5, max_attempts: 3 } }, 201);
    await through('POST', '/v1/webhooks', { body: { url: 'ftp://nope' } }, 422);
    await through('GET', '/v1/webhooks', {}, 200);
    await through('GET', `/v1/webhooks/${hook.body.id}`, {}, 200);
    await through('POST', `/v1/webhooks/${hook.body.id}/rotate-secret`, {}, 200);
    await through('GET', `/v1/webhooks/${hook.body.id}/dead-letters`, {}, 200);
    await through('POST', `/v1/webhooks/${hook.body.id}/dead-letters/replay`, { body: {} }, 202);
    await through('POST', `/v1/webhooks/${hook.body.id}/dead-letters/replay`, { body: { event_id: 'av-0-1' } }, 404);
    await through('DELETE', `/v1/webhooks/${hook.body.id}`, {}, 204);
    await through('GET', `/v1/webhooks/${hook.body.id}`, {}, 404);
    await through('GET', '/v1/alerts', {}, 200);
    await through('GET', '/v1/sync', {}, 200);
    await through('GET', '/v1/stock/SPEC-1/ledger?limit=5', {}, 200);
    await through('GET', '/v1/stock/SPEC-1/ledger?limit=500', {}, 422);
    await through('GET', '/metrics', {}, 200);
    await through('GET', '/v1/kpis', {}, 200);
    await through('GET', '/v1/scorecard?month=2026-11', {}, 200);
    await through('GET', '/v1/scorecard?month=2026-11&format=csv', {}, 200);
    const order = await through('POST', '/v1/orders', { body: { id: 'spec-o1', channel: 'web', lines: [{ sku: 'SPEC-1', quantity: 1 }], ship_to: { lat: 52.5, lon: 13.4 }, allow_partial: true, max_shipments: 2 } }, 201);
    assert.ok(order.body.plan.considered.length >= 1);
    await through('POST', '/v1/orders', { body: { id: 'spec-o1', channel: 'web', lines: [{ sku: 'SPEC-1', quantity: 1 }], ship_to: { lat: 52.5, lon: 13.4 }, allow_partial: true, max_shipments: 2 } }, 200);
    await through('POST', '/v1/orders', { body: { id: 'spec-o2', channel: 'web', lines: [{ sku: 'SPEC-1', quantity: 100000 }], ship_to: { lat: 52.5, lon: 13.4 } } }, 409);
    await through('POST', '/v1/orders', { body: { id: 'spec-o3', channel: 'web', lines: [], ship_to: { lat: 52.5, lon: 13.4 } } }, 422);
    await through('GET', '/v1/orders/spec-o1', {}, 200);
    await through('GET', '/v1/orders/spec-none', {}, 404);
    await through('POST', '/v1/orders/spec-o1/reroute', { body: { reason: 'damaged_discovery' } }, 409);
    await through('POST', '/v1/orders/spec-o1/delivered', { body: { delivered_at: new Date().toISOString() } }, 409);
    await through('POST', '/v1/orders/spec-o1/cancel', { body: { reason: 'customer_request' } }, 200);
    await through('POST', '/v1/orders/spec-o1/cancel', { body: { reason: 'customer_request' } }, 409);
    await through('POST', '/v1/returns/route', { body: { sku: 'SPEC-1', condition: 'resellable', from: { lat: 52.5, lon: 13.4 } } }, 200);
    await through('POST', '/v1/returns/route', { body: { sku: 'SPEC-1', condition: 'broken', from: { lat: 52.5, lon: 13.4 } } }, 422);
    await through('PUT', '/v1/items/SPEC-1', { body: { unit_cost_cents: 199 } }, 200);
    await through('GET', '/v1/items/SPEC-1', {}, 200);
    await through('GET', '/v1/items/SPEC-NONE', {}, 404);
    const countBody = { id: 'spec-count-1', location: 'W1', source: 'wms', counter: 'spec', counted_at: new Date().toISOString(), lines: [{ sku: 'SPEC-1', quantity: 3 }] };
    await through('POST', '/v1/counts', { body: countBody }, 201);
    await through('POST', '/v1/counts', { body: countBody }, 200);
    await through('POST', '/v1/counts', { body: { ...countBody, kind: 'guess' } }, 422);
    await through('GET', '/v1/counts/spec-count-1', {}, 200);
    await through('GET', '/v1/counts/schedule?location=W1&capacity=3', {}, 200);
    await through('GET', '/v1/reconciliation?location=W1', {}, 200);
    await through('POST', '/v1/asns', { body: { id: 'SPEC-ASN', vendor: 'acme', po: 'SPEC-PO', expected_at: '2026-12-24T00:00:00Z', lines: [{ sku: 'SPEC-BO', quantity: 6 }] } }, 201);
    await through('POST', '/v1/asns', { body: { id: 'SPEC-ASN', vendor: 'acme', po: 'SPEC-PO', expected_at: '2026-12-24T00:00:00Z', lines: [{ sku: 'SPEC-BO', quantity: 6 }] } }, 200);
    await through('GET', '/v1/asns/SPEC-ASN', {}, 200);
    await through('GET', '/v1/vendors/acme/scorecard', {}, 200);
    await through('GET', '/v1/vendors/nobody/scorecard', {}, 404);
    await through('GET', '/v1/forecast/SPEC-1?location=W1&horizon_days=3', {}, 200);
    await through('GET', '/v1/forecast/SPEC-1', {}, 200);
    await through('GET', '/v1/forecast/SPEC-1?horizon_days=500', {}, 422);
    await through('GET', '/v1/replenishment?service_level=0.9', {}, 200);
    await through('GET', '/v1/replenishment?service_level=2', {}, 422);
    const promo = { id: 'spec-promo', sku: 'SPEC-1', channel: 'web', from: new Date().toISOString(), to: new Date(Date.now() + 86400_000).toISOString(), expected_uplift: 0.25 };
    await through('POST', '/v1/promotions', { body: promo }, 201);
    await through('POST', '/v1/promotions', { body: promo }, 200);
    await through('POST', '/v1/promotions', { body: { ...promo, expected_uplift: 0.5 } }, 409);
    await through('POST', '/v1/promotions', { body: { ...promo, id: 'spec-promo-2', channel: 'nope' } }, 422);
    await through('GET', '/v1/promotions', {}, 200);
    await through('GET', '/v1/promotions/spec-promo', {}, 200);
    await through('GET', '/v1/availability/SPEC-1?channel=web', {}, 200);
    await through('DELETE', '/v1/promotions/spec-promo', {}, 204);
    await through('GET', '/v1/promotions/spec-promo', {}, 404);
    await through('POST', '/v1/events', { body: { ...receipt('SPEC-1', 40), type: 'shrink', reason: 'theft' } }, 200);
    const found = await through('GET', '/v1/exceptions?kind=loss_spike', {}, 200);
    await through('GET', '/v1/exceptions?status=bogus', {}, 422);
    await through('POST', `/v1/exceptions/${found.body.exceptions[0].id}/resolve`, { body: { resolution: 'spec' } }, 200);
    await through('POST', `/v1/exceptions/${found.body.exceptions[0].id}/resolve`, { body: { resolution: 'spec' } }, 409);
    await through('POST', '/v1/exceptions/x0-0/resolve', { body: { resolution: 'spec' } }, 404);
    const snapAt = new Date(Date.now() - 60_000).toISOString();
    const snap = 'sku,location,on_hand\nSPEC-IMP,W1,4\nbad sku,W1,1\n';
    await through('POST', `/v1/imports?id=spec-imp&source=wms&as_of=${snapAt}`, { raw: snap, headers: { 'content-type': 'text/csv' } }, 201);
    await through('POST', `/v1/imports?id=spec-imp&source=wms&as_of=${snapAt}`, { raw: snap, headers: { 'content-type': 'text/csv' } }, 200);
    await through('POST', '/v1/imports?id=spec-imp-2&source=nope', { raw: snap, headers: { 'content-type': 'text/csv' } }, 422);
    await through('GET', '/v1/imports/spec-imp', {}, 200);
    await through('GET', '/v1/imports/spec-none', {}, 404);
    await through('POST', `/v1/reconcile?as_of=${snapAt}`, { raw: 'sku,location,on_hand\nSPEC-IMP,W1,5\n', headers: { 'content-type': 'text/csv' } }, 200);
    await through('POST', '/v1/reconcile?limit=0', { raw: snap, headers: { 'content-type': 'text/csv' } }, 422);
    await through('GET', '/v1/exports/positions?format=csv', {}, 200);
    await through('GET', '/v1/exports/positions?format=ndjson&location=W1', {}, 200);
    await through('GET', '/v1/exports/positions?as_of=never', {}, 422);
    const minted = await through('POST', '/v1/tokens', { body: { name: 'spec', scopes: ['stock:read'], principal: { kind: 'person', id: 'spec' }, expires_in_seconds: 3600 } }, 201);
    await through('GET', '/v1/tokens', {}, 200);
    const successor = await through('POST', `/v1/tokens/${minted.body.id}/rotate`, { body: { grace_seconds: 60 } }, 201);
    await through('DELETE', `/v1/tokens/${successor.body.id}`, {}, 204);
    await through('GET', '/v1/audit?sku=SPEC-1&limit=2', {}, 200);
    await through('GET', '/v1/audit?limit=0', {}, 422);
    await through('GET', '/v1/audit/verify', {}, 200);
    await through('GET', `/v1/stock/SPEC-1?as_of=${new Date().toISOString()}`, {}, 200);
    await through('GET', `/v1/availability/SPEC-1?channel=web&as_of=${new Date().toISOString()}`, {}, 200);
    assert.ok(expectations.length >= 30);
  } finally {
    prism.kill('SIGTERM');
  }
});
