// Least privilege through the real server: tokens bound to a source and a store, a vendor
// and a channel; rotation with an overlap window; last use; the audit trail with who did
// what (refused facts included), cursor pagination, chain verification, and point-in-time
// stock rebuilt from the ledger.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { startServer, call, declareShop, receipt, tempDir, ADMIN } from './harness.mjs';

let server;
const now = () => new Date().toISOString();
let serial = 0;
const fact = (type, sku, location, quantity, extra = {}) => ({
  id: `sec-${++serial}`, source: 'pos', type, sku, location, quantity, occurred_at: now(), ...extra });
const createToken = async (body) => {
  const r = await call(server, 'POST', '/v1/tokens', { body });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  return r.body;
};

before(async () => {
  server = await startServer();
  await declareShop(server);
  assert.equal((await call(server, 'PUT', '/v1/channels/market', { body: { locations: [{ id: 'W1', priority: 1 }] } })).status, 200);
});
after(async () => { await server.stop(); });

test('a store POS token writes only its own store, only as its source', async () => {
  const pos = await createToken({ name: 'berlin-pos', scopes: ['events:write', 'stock:read'], principal: { kind: 'source', id: 'pos' }, locations: ['S1'] });
  assert.deepEqual(pos.locations, ['S1']);
  const as = { token: pos.token };
  assert.equal((await call(server, 'POST', '/v1/events', { ...as, body: fact('receipt', 'SEC-A', 'S1', 5) })).status, 200);
  const other = await call(server, 'POST', '/v1/events', { ...as, body: { events: [fact('receipt', 'SEC-A', 'S1', 1), fact('receipt', 'SEC-A', 'W1', 1)] } });
  assert.equal(other.status, 403);
  assert.equal(other.body.type, '/problems/forbidden-location');
  const stock = await call(server, 'GET', '/v1/stock/SEC-A', as);
  assert.equal(stock.body.positions.find((p) => p.location === 'S1').on_hand, 5);  // the batch changed nothing
  const wrongSource = await call(server, 'POST', '/v1/events', { ...as, body: fact('receipt', 'SEC-A', 'S1', 1, { source: 'wms' }) });
  assert.equal(wrongSource.status, 403);
  assert.equal(wrongSource.body.type, '/problems/forbidden-source');
  const counts = await call(server, 'POST', '/v1/counts', { ...as, body: { id: 'sec-c1', location: 'W1', source: 'pos', counted_at: now(), lines: [{ sku: 'SEC-A', quantity: 1 }] } });
  assert.equal(counts.status, 403);
  // The token's scopes still apply: no reservations.
  assert.equal((await call(server, 'POST', '/v1/reservations', { ...as, body: { sku: 'SEC-A', channel: 'web', quantity: 1 } })).status, 403);
});

test('a vendor token posts only its own ASNs and receipts for its own POs', async () => {
  for (const [id, vendor] of [['SEC-PO-1', 'acme'], ['SEC-PO-2', 'globex']]) {
    assert.equal((await call(server, 'POST', '/v1/purchase-orders', { body: { id, vendor, sku: 'SEC-V', location: 'W1', quantity: 5, expected_at: now() } })).status, 201);
  }
  const acme = await createToken({ name: 'acme-edi', scopes: ['events:write', 'stock:read'], principal: { kind: 'vendor', id: 'acme' } });
  const as = { token: acme.token };
  const own = await call(server, 'POST', '/v1/asns', { ...as, body: { id: 'SEC-ASN-1', vendor: 'acme', po: 'SEC-PO-1', expected_at: now(), lines: [{ sku: 'SEC-V', quantity: 5 }] } });
  assert.equal(own.status, 201, own.text);
  const theirs = await call(server, 'POST', '/v1/asns', { ...as, body: { id: 'SEC-ASN-2', vendor: 'globex', expected_at: now(), lines: [{ sku: 'SEC-V', quantity: 5 }] } });
  assert.equal(theirs.status, 403);
  assert.equal(theirs.body.type, '/problems/forbidden-vendor');
  const ownReceipt = await call(server, 'POST', '/v1/events', { ...as, body: receipt('SEC-V', 5, 'W1', { reference: 'SEC-PO-1' }) });
  assert.equal(ownReceipt.status, 200);
  const viaAsn = await call(server, 'POST', '/v1/events', { ...as, body: receipt('SEC-V', 1, 'W1', { reference: 'SEC-ASN-1' }) });
  assert.equal(viaAsn.status, 200);
  const otherReceipt = await call(server, 'POST', '/v1/events', { ...as, body: receipt('SEC-V', 5, 'W1', { reference: 'SEC-PO-2' }) });
  assert.equal(otherReceipt.status, 403);
  const sale = await call(server, 'POST', '/v1/events', { ...as, body: fact('sale', 'SEC-V', 'W1', 1, { source: 'wms' }) });
  assert.equal(sale.status, 403);
  assert.equal((await call(server, 'POST', '/v1/purchase-orders', { ...as, body: { id: 'SEC-PO-3', vendor: 'acme', sku: 'SEC-V', location: 'W1', quantity: 5, expected_at: now() } })).status, 403);
});

test('a channel token reserves and orders on its channel only', async () => {
  await call(server, 'POST', '/v1/events', { body: receipt('SEC-C', 20, 'W1') });
  const web = await createToken({ name: 'web-checkout', scopes: ['reservations:write', 'orders:write', 'stock:read'], principal: { kind: 'channel', id: 'web' } });
  assert.deepEqual(web.channels, ['web']);
  const as = { token: web.token };
  const held = await call(server, 'POST', '/v1/reservations', { ...as, body: { sku: 'SEC-C', channel: 'web', quantity: 1 } });
  assert.equal(held.status, 201, held.text);
  const market = await call(server, 'POST', '/v1/reservations', { ...as, body: { sku: 'SEC-C', channel: 'market', quantity: 1 } });
  assert.equal(market.status, 403);
  assert.equal(market.body.type, '/problems/forbidden-channel');
  // A hold made on another channel may not be released by this token.
  const marketHold = await call(server, 'POST', '/v1/reservations', { body: { sku: 'SEC-C', channel: 'market', quantity: 1 } });
  assert.equal((await call(server, 'DELETE', `/v1/reservations/${marketHold.body.id}`, as)).status, 403);
  assert.equal((await call(server, 'DELETE', `/v1/reservations/${held.body.id}`, as)).status, 200);
  // The same for group holds (carts and bundles).
  await call(server, 'POST', '/v1/events', { body: receipt('SEC-C2', 20, 'W1') });
  const marketCart = await call(server, 'POST', '/v1/reservations', { body: { channel: 'market', lines: [{ sku: 'SEC-C', quantity: 1 }, { sku: 'SEC-C2', quantity: 1 }] } });
  assert.equal(marketCart.status, 201, marketCart.text);
  assert.equal((await call(server, 'DELETE', `/v1/reservations/${marketCart.body.id}`, as)).status, 403);
  assert.equal((await call(server, 'POST', `/v1/reservations/${marketCart.body.id}/commit`, { ...as, body: { order_id: 'o-x' } })).status, 403);
  assert.equal((await call(server, 'DELETE', `/v1/reservations/${marketCart.body.id}`)).status, 200);
  const order = await call(server, 'POST', '/v1/orders', { ...as, body: { id: 'sec-o1', channel: 'market', lines: [{ sku: 'SEC-C', quantity: 1 }], ship_to: { lat: 52.5, lon: 13.4 } } });
  assert.equal(order.status, 403);
});

test('rotation: the new token works at once, the old one until its grace ends', async () => {
  const first = await createToken({ name: 'rotating', scopes: ['stock:read'] });
  const rotated = await call(server, 'POST', `/v1/tokens/${first.id}/rotate`, { body: { grace_seconds: 2 } });
  assert.equal(rotated.status, 201, rotated.text);
  assert.equal(rotated.body.rotated_from, first.id);
  assert.notEqual(rotated.body.token, first.token);
  assert.equal((await call(server, 'GET', '/v1/locations', { token: rotated.body.token })).status, 200);
  assert.equal((await call(server, 'GET', '/v1/locations', { token: first.token })).status, 200);  // overlap
  assert.equal((await call(server, 'POST', `/v1/tokens/${first.id}/rotate`, { body: {} })).status, 404);  // once
  await new Promise((r) => setTimeout(r, 2300));
  assert.equal((await call(server, 'GET', '/v1/locations', { token: first.token })).status, 401);
  assert.equal((await call(server, 'GET', '/v1/locations', { token: rotated.body.token })).status, 200);
  const list = await call(server, 'GET', '/v1/tokens');
  const byId = Object.fromEntries(list.body.tokens.map((t) => [t.id, t]));
  assert.equal(byId[first.id].status, 'expired');
  assert.equal(byId[first.id].rotated_to, rotated.body.id);
  assert.ok(byId[rotated.body.id].last_used_at);
  assert.equal(JSON.stringify(list.body).includes(rotated.body.token), false);  // secrets never shown again
  assert.equal((await call(server, 'DELETE', `/v1/tokens/${rotated.body.id}`)).status, 204);
  assert.equal((await call(server, 'GET', '/v1/locations', { token: rotated.body.token })).status, 401);
  // Only admins manage tokens.
  const reader = await createToken({ name: 'reader', scopes: ['stock:read'] });
  assert.equal((await call(server, 'GET', '/v1/tokens', { token: reader.token })).status, 403);
});

test('the audit trail says who did what, refused facts included, page by page', async () => {
  const clerk = await createToken({ name: 'clerk', scopes: ['events:write', 'stock:read'], principal: { kind: 'person', id: 'anna' } });
  await call(server, 'POST', '/v1/events', { token: clerk.token, body: fact('receipt', 'SEC-AUD', 'W1', 10) });
  const refused = await call(server, 'POST', '/v1/events', { token: clerk.token, body: fact('receipt', 'SEC-AUD', 'NOWHERE', 1) });
  assert.equal(refused.status, 422);
  await call(server, 'POST', '/v1/events', { token: clerk.token, body: fact('sale', 'SEC-AUD', 'W1', 3) });
  const all = await call(server, 'GET', `/v1/audit?sku=SEC-AUD&principal=${clerk.id}`);
  assert.equal(all.status, 200, all.text);
  assert.deepEqual(all.body.records.map((r) => [r.event.type, r.status]), [['receipt', 'applied'], ['receipt', 'rejected'], ['sale', 'applied']]);
  assert.equal(all.body.records[1].error, 'unknown_location');
  assert.ok(all.body.records.every((r) => r.principal === clerk.id && r.hash.length === 64));
  assert.equal(all.body.records[2].prev_hash.length, 64);
  const page1 = await call(server, 'GET', `/v1/audit?sku=SEC-AUD&limit=2`);
  assert.equal(page1.body.records.length, 2);
  assert.ok(page1.body.next_cursor);
  const page2 = await call(server, 'GET', `/v1/audit?sku=SEC-AUD&limit=2&cursor=${page1.body.next_cursor}`);
  assert.equal(page2.body.records[0].sequence > page1.body.records[1].sequence || page2.body.records[0].stream !== page1.body.records[1].stream, true);
  assert.equal((await call(server, 'GET', '/v1/audit?location=NOWHERE')).body.records.length >= 1, true);
  assert.equal((await call(server, 'GET', '/v1/audit?cursor=garbage')).status, 422);
  const verify = await call(server, 'GET', '/v1/audit/verify');
  assert.equal(verify.body.ok, true);
  assert.ok(verify.body.records > 5);
});

test('point in time: stock as it was recorded at T, rebuilt from the ledger', async () => {
  await call(server, 'POST', '/v1/events', { body: receipt('SEC-T', 10, 'W1') });
  await new Promise((r) => setTimeout(r, 20));
  const t1 = now();
  await new Promise((r) => setTimeout(r, 20));
  await call(server, 'POST', '/v1/events', { body: fact('sale', 'SEC-T', 'W1', 3) });
  const then = await call(server, 'GET', `/v1/stock/SEC-T?as_of=${t1}`);
  assert.equal(then.status, 200, then.text);
  assert.equal(then.body.as_of, t1);
  assert.equal(then.body.positions[0].on_hand, 10);
  assert.equal(then.body.positions[0].version, 1);
  const current = await call(server, 'GET', '/v1/stock/SEC-T');
  assert.equal(current.body.positions[0].on_hand, 7);
  // What the channel showed then (web keeps a buffer of 2): 8, now 5.
  const shown = await call(server, 'GET', `/v1/availability/SEC-T?channel=web&as_of=${t1}`);
  assert.equal(shown.status, 200, shown.text);
  assert.equal(shown.body.available, 8);
  assert.equal((await call(server, 'GET', '/v1/availability/SEC-T?channel=web')).body.available, 5);
  assert.equal((await call(server, 'GET', '/v1/stock/SEC-T?as_of=2020-01-01T00:00:00Z')).status, 404);
  assert.equal((await call(server, 'GET', '/v1/stock/SEC-T?as_of=yesterday')).status, 422);
});

test('tokens unused for the review period raise an alert with the action, cleared on revoke', async () => {
  const strict = await startServer({ args: ['--token-review-days', '0'] });
  try {
    const made = await call(strict, 'POST', '/v1/tokens', { body: { name: 'forgotten', scopes: ['stock:read'] } });
    assert.equal(made.status, 201);
    const alertFor = async () => (await call(strict, 'GET', '/v1/alerts')).body.active.find((a) => a.kind === 'token_unused' && a.message.includes(made.body.id));
    let alert;
    for (let i = 0; i < 40 && !alert; ++i) { await new Promise((r) => setTimeout(r, 100)); alert = await alertFor(); }
    assert.ok(alert, 'token_unused alert');
    assert.match(alert.action, /revoke/);
    assert.equal((await call(strict, 'DELETE', `/v1/tokens/${made.body.id}`)).status, 204);
    let cleared = false;
    for (let i = 0; i < 40 && !cleared; ++i) { await new Promise((r) => setTimeout(r, 100)); cleared = !(await alertFor()); }
    assert.ok(cleared, 'cleared once revoked');
  } finally {
    await strict.stop();
  }
});

test('HTTPS: --tls-cert and --tls-key serve TLS that verifies against the certificate', async () => {
  const dir = tempDir();
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const tls = await startServer({ args: ['--tls-cert', cert, '--tls-key', key] });
  try {
    assert.match(tls.url, /^https:/);
    const get = (path, options = {}) => new Promise((resolve, reject) => {
      const request = https.request(tls.url + path, { ca: readFileSync(cert), headers: { authorization: `Bearer ${ADMIN}` }, ...options }, (response) => {
        let body = '';
        response.on('data', (chunk) => { body += chunk; });
        response.on('end', () => resolve({ status: response.statusCode, body }));
      });
      request.on('error', reject);
      request.end();
    });
    const health = await get('/healthz');
    assert.equal(health.status, 200);
    const locations = await get('/v1/locations');
    assert.equal(locations.status, 200);
    // A client that does not trust the certificate refuses it; plain HTTP gets no answer.
    await assert.rejects(get('/healthz', { ca: undefined }));
    await assert.rejects(fetch(tls.url.replace('https:', 'http:') + '/healthz'));
  } finally {
    await tls.stop();
  }
  // Both or neither.
  await assert.rejects(startServer({ args: ['--tls-cert', cert] }));
});
