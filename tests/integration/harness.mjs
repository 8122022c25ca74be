// Starts the real stockd binary on a free port with a fresh data directory and talks
// real HTTP to it. STOCKD_BIN names the binary (ctest sets it).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const STOCKD = process.env.STOCKD_BIN ?? new URL('../../build/debug/src/stockd', import.meta.url).pathname;
export const ADMIN = 'test-admin-token-' + process.pid;

export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'stockd-it-'));
}

// Starts `stockd serve`; resolves once it prints its address.
export async function startServer({ dataDir = tempDir(), args = [], env = {}, keepData = false } = {}) {
  const proc = spawn(STOCKD, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--shards', '2', ...args], {
    env: { ...process.env, STOCKD_ADMIN_TOKEN: ADMIN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  proc.stderr.on('data', (chunk) => { errors += chunk; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stockd did not start: ' + output + errors)), 60000);
    proc.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/listening on (https?:\/\/[\d.]+:\d+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`stockd exited ${code}: ${output}${errors}`)); });
  });
  proc.removeAllListeners('exit');
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    url, proc, dataDir, exited,
    output: () => output, errors: () => errors,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const result = await exited;
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
      return result;
    },
    async kill9() {
      proc.kill('SIGKILL');
      return exited;
    },
  };
}

// One HTTP call; returns { status, headers, body (parsed JSON when it is JSON), text }.
export async function call(server, method, path, { body, token = ADMIN, headers = {}, raw } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (raw !== undefined) init.body = raw;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(server.url + path, init);
  const text = await response.text();
  let parsed;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

// The design's core flow: two locations, a source, a web channel with a 2-unit buffer.
export async function declareShop(server) {
  const steps = [
    ['PUT', '/v1/locations/W1', { type: 'warehouse', name: 'Leipzig DC', lat: 51.34, lon: 12.37 }],
    ['PUT', '/v1/locations/S1', { type: 'store', name: 'Berlin Mitte', lat: 52.52, lon: 13.4, count_sla_hours: 24 }],
    ['PUT', '/v1/sources/wms', { priority: 100 }],
    ['PUT', '/v1/sources/pos', { priority: 50 }],
    ['PUT', '/v1/channels/web', { locations: [{ id: 'W1', priority: 1 }, { id: 'S1', priority: 2 }], buffer: { units: 2 }, reservation_ttl_seconds: 900 }],
  ];
  for (const [method, path, body] of steps) {
    const response = await call(server, method, path, { body });
    if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  }
}

let serial = 0;
export function receipt(sku, quantity, location = 'W1', extra = {}) {
  return { id: `r-${process.pid}-${++serial}`, source: 'wms', type: 'receipt', sku, location, quantity,
           occurred_at: new Date().toISOString(), ...extra };
}

// librdkafka's mock cluster (3 brokers) in the helper process, with `topics` as
// "name:partitions"; resolves to { brokers, stop } once it prints its bootstrap list.
const KAFKA_MOCK = process.env.STOCKD_KAFKA_MOCK ?? new URL('../../build/debug/tests/stockd_kafka_mock', import.meta.url).pathname;
export async function startKafkaMock(topics) {
  const mock = spawn(KAFKA_MOCK, topics, { stdio: ['pipe', 'pipe', 'inherit'] });
  const brokers = await new Promise((resolve, reject) => {
    let output = '';
    mock.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/bootstrap (\S+)/);
      if (match) resolve(match[1]);
    });
    mock.on('exit', (code) => reject(new Error(`mock cluster exited ${code}`)));
    mock.on('error', reject);
  });
  return { brokers, stop: () => mock.stdin.end() };
}
