// End-to-end sync lag at a steady load: a release stockd, a webhook subscription to a
// local HTTP receiver, and facts posted at a fixed rate (one event per request, each for
// its own SKU, so every delivery answers exactly one fact). Reports, in milliseconds:
//   submit → received: the client sends the fact → the signed webhook arrives (the
//   receiver is a separate process on the same machine and clock)
//   durable → received: stockd's durable write (recorded_at) → the webhook arrives
// Usage: node bench/sync/lag.mjs [events per second, default 500] [seconds, default 10]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rate = Number(process.argv[2] ?? 500);
const seconds = Number(process.argv[3] ?? 10);
const bin = new URL('../../build/release/src/stockd', import.meta.url).pathname;
const token = 'lag-' + process.pid;
const dir = mkdtempSync(join(tmpdir(), 'stockd-lag-'));
const nowMs = () => performance.timeOrigin + performance.now();

// µs-precise RFC 3339 → epoch milliseconds (Date.parse drops the microseconds).
function parseMicros(text) {
  const match = text.match(/^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/);
  const fraction = (match[2] ?? '').padEnd(6, '0').slice(0, 6);
  return Date.parse(match[1] + 'Z') + Number(fraction) / 1000;
}

// The receiver runs in its own process (the load generator would otherwise take its
// CPU); it reports each delivery's subject, arrival time and durable→received lag.
if (process.argv[2] === 'receiver') {
  const lines = [];
  const receiver = createServer((request, response) => {
    const chunks = [];
    request.on('data', (c) => chunks.push(c));
    request.on('end', () => {
      const at = nowMs();
      const event = JSON.parse(Buffer.concat(chunks).toString());
      lines.push(`${event.subject} ${at} ${at - parseMicros(event.data.recorded_at)}`);
      response.writeHead(204).end();
    });
  });
  receiver.listen(0, '127.0.0.1', () => process.stdout.write(`port ${receiver.address().port}\n`));
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => { process.stdout.write(lines.join('\n') + '\nend\n', () => process.exit(0)); });
} else {
await run();
}

async function run() {
const receiverProcess = spawn(process.execPath, [new URL(import.meta.url).pathname, 'receiver'], { stdio: ['pipe', 'pipe', 'inherit'] });
let receiverOutput = '';
receiverProcess.stdout.on('data', (c) => { receiverOutput += c; });
const receiverPort = await new Promise((resolve) => {
  const poll = setInterval(() => {
    const m = receiverOutput.match(/^port (\d+)/);
    if (m) { clearInterval(poll); resolve(Number(m[1])); }
  }, 10);
});
const sentAt = new Map();
const server = spawn(bin, ['serve', '--data-dir', join(dir, 'db'), '--listen', '127.0.0.1:0', '--rate-limit-per-second', '0'],
  { env: { ...process.env, STOCKD_ADMIN_TOKEN: token }, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve) => {
  let out = '';
  server.stdout.on('data', (c) => { out += c; const m = out.match(/listening on (http:\/\/[\d.]+:\d+)/); if (m) resolve(m[1]); });
});
const api = async (method, path, body) => {
  const r = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json();
};
await api('PUT', '/v1/locations/W1', { type: 'warehouse' });
await api('PUT', '/v1/sources/wms', { priority: 100 });
await api('PUT', '/v1/channels/web', { locations: [{ id: 'W1', priority: 1 }] });
await api('POST', '/v1/webhooks', { url: `http://127.0.0.1:${receiverPort}/hooks`, channels: ['web'], rate_per_second: 0 });

const total = rate * seconds;
const started = nowMs();
const inflight = [];
for (let i = 0; i < total; i += 1) {
  const due = started + (i * 1000) / rate;
  const wait = due - nowMs();
  if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
  const sku = `LAG-${i}`;
  sentAt.set(sku, nowMs());
  inflight.push(api('POST', '/v1/events', { id: `lag-${i}`, source: 'wms', type: 'receipt', sku, location: 'W1', quantity: 5, occurred_at: new Date().toISOString() }));
}
await Promise.all(inflight);
// Until the last SKU has arrived (or 30 s), then collect the receiver's records.
const deadline = nowMs() + 30000;
const arrived = async () => {
  const r = await fetch(url + '/v1/webhooks', { headers: { authorization: `Bearer ${token}` } });
  const hook = (await r.json()).webhooks[0];
  return hook.delivery.delivered >= total;
};
while (!(await arrived()) && nowMs() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
receiverProcess.stdin.end();
await new Promise((resolve) => receiverProcess.on('exit', resolve));
const submitLag = [];
const durableLag = [];
for (const line of receiverOutput.split('\n')) {
  const [subject, at, durable] = line.split(' ');
  if (!subject?.startsWith('LAG-') || !sentAt.has(subject)) continue;
  submitLag.push(Number(at) - sentAt.get(subject));
  durableLag.push(Number(durable));
}
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const row = (name, values) => `${name.padEnd(22)} median ${percentile(values, 50).toFixed(2)} ms  p95 ${percentile(values, 95).toFixed(2)} ms  p99 ${percentile(values, 99).toFixed(2)} ms  max ${Math.max(...values).toFixed(2)} ms`;
console.log(`stockd webhook lag: ${rate} facts/s for ${seconds} s, ${submitLag.length}/${total} delivered, one subscription, receiver on loopback`);
console.log(row('submit -> received', submitLag));
console.log(row('durable -> received', durableLag));

server.kill('SIGTERM');
await new Promise((resolve) => server.on('exit', resolve));
rmSync(dir, { recursive: true, force: true });
if (submitLag.length < total) process.exit(1);
}
