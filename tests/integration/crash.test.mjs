// kill -9 while clients post events: after restart every event that got a 2xx is there, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startServer, call, declareShop, tempDir, STOCKD } from './harness.mjs';

test('kill -9 through HTTP loses no acknowledged event', async () => {
  const dir = tempDir();
  const acknowledged = new Map();  // id -> event
  let serial = 0;
  for (let round = 0; round < 3; round++) {
    const server = await startServer({ dataDir: dir, keepData: true });
    if (round === 0) await declareShop(server);
    let running = true;
    const client = async (n) => {
      while (running) {
        const events = Array.from({ length: 1 + (serial % 5) }, () => ({
          id: `k9-${round}-${n}-${++serial}`, source: 'wms', type: 'receipt', sku: `K9-${serial % 20}`,
          location: 'W1', quantity: 1, occurred_at: new Date().toISOString(),
        }));
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
    const clients = Array.from({ length: 16 }, (_, n) => client(n));
    await new Promise((resolve) => setTimeout(resolve, 600 + round * 300));
    const { signal } = await server.kill9();
    running = false;
    await Promise.allSettled(clients);
    assert.equal(signal, 'SIGKILL');
  }
  assert.ok(acknowledged.size > 100, `only ${acknowledged.size} events were acknowledged`);

  const server = await startServer({ dataDir: dir, keepData: true });
  try {
    const all = [...acknowledged.values()];
    for (let i = 0; i < all.length; i += 1000) {
      const r = await call(server, 'POST', '/v1/events', { body: { events: all.slice(i, i + 1000) } });
      assert.equal(r.status, 200);
      for (const result of r.body.results) assert.equal(result.status, 'duplicate', `${result.id} was lost`);
    }
    let onHand = 0;
    for (let s = 0; s < 20; s++) {
      const r = await call(server, 'GET', `/v1/stock/K9-${s}`);
      if (r.status === 200) onHand += r.body.positions[0].on_hand;
    }
    assert.ok(onHand >= acknowledged.size, 'every acknowledged unit is on hand');
  } finally {
    await server.stop();
  }
  const audit = execFileSync(STOCKD, ['audit', 'verify', '--data-dir', dir], { encoding: 'utf8' });
  assert.match(audit, /ledger ok/);
  assert.match(audit, /positions ok/);
  rmSync(dir, { recursive: true, force: true });
});
