// Limits and the transport: body and header size, slow clients, pipelining, rate
// limits, graceful shutdown, and no input that makes the server answer 500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, call, declareShop, receipt } from './harness.mjs';

function rawExchange(url, payload, { waitMs = 1500 } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(payload));
    let data = '';
    socket.on('data', (chunk) => { data += chunk; });
    socket.on('error', reject);
    socket.on('close', () => resolve({ data, closed: true }));
    setTimeout(() => { socket.destroy(); resolve({ data, closed: false }); }, waitMs);
  });
}

test('oversized bodies get 413, oversized headers 431', async () => {
  const server = await startServer({ args: ['--body-bytes-max', '2048'] });
  try {
    const big = await call(server, 'POST', '/v1/events', { raw: 'x'.repeat(4096), headers: { 'content-type': 'application/json' } });
    assert.equal(big.status, 413);
    assert.equal(JSON.parse(big.text).type, '/problems/payload-too-large');
    const headers = await rawExchange(server.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40000)}\r\n\r\n`);
    assert.match(headers.data, /^HTTP\/1\.1 431/);
    assert.equal((await call(server, 'GET', '/healthz')).status, 200);
  } finally { await server.stop(); }
});

test('a slow client cannot hold a connection forever', async () => {
  const server = await startServer({ args: ['--read-timeout-seconds', '1'] });
  try {
    const started = Date.now();
    const slow = await rawExchange(server.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', { waitMs: 6000 });
    assert.equal(slow.closed, true, 'the server closed the connection');
    assert.ok(Date.now() - started < 5000);
  } finally { await server.stop(); }
});

test('pipelined requests are answered in order', async () => {
  const server = await startServer();
  try {
    const requests = ['/healthz', '/v1/stock/X', '/nope', '/readyz']
      .map((path) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const { data } = await rawExchange(server.url, requests + 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const statuses = [...data.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [200, 401, 404, 200, 200]);
  } finally { await server.stop(); }
});

test('a token over its rate gets 429 with Retry-After and RateLimit headers', async () => {
  const server = await startServer({ args: ['--rate-limit-per-second', '1', '--rate-limit-burst', '3'] });
  try {
    const statuses = [];
    let limited;
    for (let i = 0; i < 5; i++) {
      const r = await call(server, 'GET', '/v1/locations');
      statuses.push(r.status);
      assert.ok(r.headers.get('ratelimit-limit'));
      if (r.status === 429) limited = r;
    }
    assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
    assert.ok(limited, statuses.join());
    assert.equal(limited.body.type, '/problems/rate-limited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(limited.headers.get('ratelimit-remaining'), '0');
  } finally { await server.stop(); }
});

test('SIGTERM finishes what was acknowledged and exits 0', async () => {
  const server = await startServer({ keepData: true });
  await declareShop(server);
  const inflight = Array.from({ length: 20 }, (_, i) => call(server, 'POST', '/v1/events', { body: receipt('TERM', 1) }).catch(() => null));
  await new Promise((resolve) => setTimeout(resolve, 20));
  server.proc.kill('SIGTERM');
  const answered = (await Promise.all(inflight)).filter((r) => r && r.status === 200).length;
  const { code } = await server.exited;
  assert.equal(code, 0, server.output() + server.errors());
  assert.match(server.output(), /stopped cleanly/);
  const again = await startServer({ dataDir: server.dataDir });
  try {
    const stock = await call(again, 'GET', '/v1/stock/TERM');
    if (answered > 0) assert.ok(stock.body.positions[0].on_hand >= answered);
  } finally { await again.stop(); }
});

test('no input makes the server answer 500 or die', async () => {
  const server = await startServer();
  try {
    await declareShop(server);
    const bodies = ['', 'null', '[]', '{}', '"x"', '1e999', '{"events":[null]}', '{"events":[{"id":{}}]}',
      '{"sku":null}', '{"id":"a","quantity":9223372036854775808}', '\u0000\u0001', '{"a":'.repeat(100),
      JSON.stringify({ events: [{ ...receipt('Z', 1), quantity: 1e300 }] })];
    const routes = [['POST', '/v1/events'], ['POST', '/v1/reservations'], ['POST', '/v1/availability/query'],
      ['PUT', '/v1/locations/L'], ['PUT', '/v1/channels/C'], ['PUT', '/v1/sources/S'],
      ['POST', '/v1/reservations/r0000-0000000000000000/commit']];
    for (const [method, path] of routes) {
      for (const raw of bodies) {
        const r = await call(server, method, path, { raw, headers: { 'content-type': 'application/json' } });
        assert.ok(r.status < 500, `${method} ${path} ${JSON.stringify(raw)} -> ${r.status} ${r.text}`);
        assert.ok(r.status >= 200);
      }
    }
    for (const path of ['/v1/stock/%00', '/v1/stock/' + 'A'.repeat(300), '/v1/availability/A?channel=%FF', '/%', '/v1//stock']) {
      const r = await call(server, 'GET', path);
      assert.ok(r.status < 500 && r.status >= 400, `${path} -> ${r.status}`);
    }
    assert.equal((await call(server, 'GET', '/healthz')).status, 200);
  } finally { await server.stop(); }
});
