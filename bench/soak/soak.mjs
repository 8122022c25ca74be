// Soak: a mixed workload against the release server for MINUTES (default 60), sampling
// once a minute the server's resident memory, open files and request latency. Prints a
// table and the growth from the second minute to the last (it must be flat).
//   node bench/soak/soak.mjs [MINUTES] [REQUESTS_PER_SECOND]   (make soak SOAK_MINUTES=60)
// Without a rate the 8 clients go as fast as the server answers; with one they are
// paced to it (a steady load, leaving the machine room for other work).
// STOCKD_BIN names another server binary (default build/release/src/stockd).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const minutes = Number(process.argv[2] ?? 60);
const rate_per_second = Number(process.argv[3] ?? 0);
const bin = process.env.STOCKD_BIN ?? new URL('../../build/release/src/stockd', import.meta.url).pathname;
const token = 'soak-admin-' + process.pid;
const dir = mkdtempSync(join(tmpdir(), 'stockd-soak-'));
const server = spawn(bin, ['serve', '--data-dir', dir, '--listen', '127.0.0.1:0', '--rate-limit-per-second', '0'],
  { env: { ...process.env, STOCKD_ADMIN_TOKEN: token }, stdio: ['ignore', 'pipe', 'ignore'] });
const url = await new Promise((resolve) => {
  let out = '';
  server.stdout.on('data', (c) => { out += c; const m = out.match(/listening on (http:\/\/[\d.:]+)/); if (m) resolve(m[1]); });
});
const call = async (method, path, body) => {
  const started = performance.now();
  try {
    const r = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    await r.arrayBuffer();
    return { status: r.status, ms: performance.now() - started };
  } catch {
    return { status: 599, ms: performance.now() - started };  // no answer at all
  }
};
for (const [path, body] of [
  ['/v1/locations/W1', { type: 'warehouse', name: 'DC' }], ['/v1/locations/S1', { type: 'store', name: 'Store' }],
  ['/v1/sources/wms', { priority: 100 }], ['/v1/sources/pos', { priority: 50 }],
  ['/v1/channels/web', { locations: [{ id: 'W1', priority: 1 }, { id: 'S1', priority: 2 }], reservation_ttl_seconds: 60 }],
]) await call('PUT', path, body);

let running = true;
let latencies = [];
let requests = 0;
let server_errors = 0;  // 5xx answers and failed connections (4xx are business answers here)
let serial = 0;
const worker_count = 8;
const pace_ms = rate_per_second > 0 ? (worker_count * 1000) / rate_per_second : 0;
const worker = async (n) => {
  let next_at = performance.now();
  while (running) {
    if (pace_ms > 0) {
      next_at += pace_ms;
      const wait_ms = next_at - performance.now();
      if (wait_ms > 0) await new Promise((resolve) => setTimeout(resolve, wait_ms));
    }
    const kind = serial % 10;
    const sku = `SOAK-${serial % 2000}`;
    let r;
    if (kind < 6) {
      r = await call('POST', '/v1/events', { events: [{ id: `s-${n}-${++serial}`, source: kind < 3 ? 'wms' : 'pos', type: kind < 3 ? 'receipt' : 'sale', sku, location: kind % 2 ? 'S1' : 'W1', quantity: 1 + (serial % 3), occurred_at: new Date().toISOString() }] });
    } else if (kind < 8) {
      r = await call('POST', '/v1/reservations', { sku, channel: 'web', quantity: 1, ttl_seconds: 30 });
      ++serial;
    } else {
      r = await call('GET', `/v1/availability/${sku}?channel=web`);
      ++serial;
    }
    latencies.push(r.ms);
    requests += 1;
    if (r.status >= 500) server_errors += 1;
  }
};
const workers = Array.from({ length: worker_count }, (_, n) => worker(n));
const samples = [];
const sample = (minute) => {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const rss_mb = Number(status.match(/VmRSS:\s+(\d+)/)[1]) / 1024;
  const fds = readdirSync(`/proc/${server.pid}/fd`).length;
  const store_mb = readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0) / 1048576;
  latencies.sort((a, b) => a - b);
  const p = (q) => latencies.length ? latencies[Math.floor(q * (latencies.length - 1))] : 0;
  samples.push({ minute, requests, server_errors, rss_mb: Math.round(rss_mb), store_mb: Math.round(store_mb), fds, p50_ms: +p(0.5).toFixed(2), p99_ms: +p(0.99).toFixed(2) });
  console.log(JSON.stringify(samples.at(-1)));
  latencies = [];
  requests = 0;
  server_errors = 0;
};
for (let minute = 1; minute <= minutes; ++minute) {
  await new Promise((resolve) => setTimeout(resolve, 60_000));
  sample(minute);
}
running = false;
await Promise.allSettled(workers);
server.kill('SIGTERM');
await new Promise((resolve) => server.on('exit', resolve));
rmSync(dir, { recursive: true, force: true });
console.table(samples);
if (samples.length >= 2) {
  const first = samples[1 < samples.length - 1 ? 1 : 0];
  const last = samples.at(-1);
  console.log(`growth from minute ${first.minute} to ${last.minute}: memory ${last.rss_mb - first.rss_mb} MB, ` +
    `open files ${last.fds - first.fds}, p99 ${first.p99_ms} -> ${last.p99_ms} ms`);
}
