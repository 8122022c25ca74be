// kill -9 under HTTP load, 50 times over one store: writers post events and
// reservations; after every restart each event that got a 2xx is there exactly once and
// each acknowledged hold exists. Reports acknowledged, lost (must be 0),
// stored-but-unacknowledged (allowed: the client never heard back), restart time p50/p99
// and reopen success (must be 100 %).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startServer, call, declareShop, tempDir, STOCKD } from './harness.mjs';

const ROUNDS = 50;

test(`kill -9 through HTTP ${ROUNDS} times loses no acknowledged event or hold`, async () => {
  const dir = tempDir();
  const acknowledged = new Map();  // id -> event
  const attempted = new Map();     // every event sent, answered or not
  const holds = new Set();         // acknowledged reservation ids
  const restartMs = [];
  let reopened = 0;
  let serial = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const started = Date.now();
    const server = await startServer({ dataDir: dir, keepData: true });
    restartMs.push(Date.now() - started);
    reopened += 1;
    if (round === 0) await declareShop(server);
    let running = true;
    const writer = async (n) => {
      while (running) {
        const events = Array.from({ length: 1 + (serial % 5) }, () => ({
          id: `k9-${round}-${n}-${++serial}`, source: 'wms', type: 'receipt', sku: `K9-${serial % 20}`,
          location: 'W1', quantity: 1, occurred_at: new Date().toISOString(),
        }));
        for (const event of events) attempted.set(event.id, event);
        try {
          const r = await call(server, 'POST', '/v1/events', { body: { events } });
          if (r.status === 200) {
            r.body.results.forEach((result, i) => {
              if (result.status === 'applied') acknowledged.set(events[i].id, events[i]);
            });
          }
        } catch { return; }  // the server died under us
      }
    };
    const reserver = async (n) => {
      while (running) {
        try {
          const r = await call(server, 'POST', '/v1/reservations', {
            body: { sku: `K9-${(serial + n) % 20}`, channel: 'web', quantity: 1, ttl_seconds: 3600 },
            headers: { 'idempotency-key': `k9-hold-${round}-${n}-${++serial}` },
          });
          if (r.status === 201) holds.add(r.body.id);
        } catch { return; }
      }
    };
    const clients = [...Array.from({ length: 8 }, (_, n) => writer(n)), ...Array.from({ length: 4 }, (_, n) => reserver(n))];
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(Math.random() * 300)));
    const { signal } = await server.kill9();
    running = false;
    await Promise.allSettled(clients);
    assert.equal(signal, 'SIGKILL');
  }
  assert.ok(acknowledged.size > 200, `only ${acknowledged.size} events were acknowledged`);

  const server = await startServer({ dataDir: dir, keepData: true });
  let lost = 0;
  let storedUnacknowledged = 0;
  try {
    const all = [...attempted.values()];
    for (let i = 0; i < all.length; i += 1000) {
      const r = await call(server, 'POST', '/v1/events', { body: { events: all.slice(i, i + 1000) } });
      assert.equal(r.status, 200);
      r.body.results.forEach((result, j) => {
        const id = all[i + j].id;
        if (acknowledged.has(id) && result.status !== 'duplicate') lost += 1;
        if (!acknowledged.has(id) && result.status === 'duplicate') storedUnacknowledged += 1;
      });
    }
    for (const id of holds) {
      const r = await call(server, 'GET', `/v1/reservations/${id}`);
      if (r.status !== 200) lost += 1;
    }
  } finally {
    await server.stop();
  }
  const sorted = [...restartMs].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  console.log(`kill -9 x${ROUNDS}: ${acknowledged.size} events and ${holds.size} holds acknowledged, ` +
    `${lost} lost, ${storedUnacknowledged} stored unacknowledged, restart p50 ${pct(0.5)} ms p99 ${pct(0.99)} ms, ` +
    `${reopened}/${ROUNDS} reopened`);
  assert.equal(lost, 0);
  assert.equal(reopened, ROUNDS);
  const audit = execFileSync(STOCKD, ['audit', 'verify', '--data-dir', dir], { encoding: 'utf8' });
  assert.match(audit, /ledger ok/);
  assert.match(audit, /positions ok/);
  rmSync(dir, { recursive: true, force: true });
});
