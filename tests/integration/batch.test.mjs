// Batch connectors through the real server and the real CLI: snapshot imports (CSV and
// NDJSON, bad rows reported, re-runs change nothing), the daily health check (drift
// without changes, then applied), exports now and as of a past time, and
// `stockd import` / `stockd reconcile` / `stockd export` on the data directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, call, declareShop, receipt, STOCKD, tempDir } from './harness.mjs';

let server;
const anHourAgo = () => new Date(Date.now() - 3600_000).toISOString();
const send = (path, text, type = 'text/csv') => call(server, 'POST', path, { raw: text, headers: { 'content-type': type } });
const onHand = async (sku, location = 'W1') => {
  const r = await call(server, 'GET', `/v1/stock/${sku}`);
  return r.status === 404 ? 0 : (r.body.positions.find((p) => p.location === location)?.on_hand ?? 0);
};
const problem = (r, status, type) => {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body.type, type, r.text);
};

before(async () => {
  server = await startServer({ keepData: true });
  await declareShop(server);
});
after(async () => {
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
});

test('a CSV snapshot is applied as counts; bad rows are reported, not fatal; a re-run changes nothing', async () => {
  const asOf = anHourAgo();
  const csv = 'sku,location,on_hand\nBT-A,W1,10\nBT-B,W1,20\nbad sku,W1,1\nBT-C,NOWHERE,3\nBT-D,S1,4\n';
  const r = await send(`/v1/imports?id=bt-1&source=wms&as_of=${asOf}`, csv);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('location'), '/v1/imports/bt-1');
  assert.equal(r.body.state, 'done');
  assert.equal(r.body.rows, 4);
  assert.equal(r.body.changed, 3);
  assert.equal(r.body.failed, 2);
  assert.deepEqual(r.body.errors.map((e) => e.line), [4, 5]);
  assert.match(r.body.errors[0].reason, /sku/);
  assert.match(r.body.errors[1].reason, /unknown_location/);
  assert.equal(await onHand('BT-A'), 10);
  assert.equal(await onHand('BT-D', 'S1'), 4);
  assert.deepEqual((await call(server, 'GET', '/v1/imports/bt-1')).body, r.body);

  await call(server, 'POST', '/v1/events', { body: { ...receipt('BT-A', 5), occurred_at: new Date().toISOString() } });
  const again = await send(`/v1/imports?id=bt-1&source=wms&as_of=${asOf}`, csv);
  assert.equal(again.status, 200);
  assert.equal(again.body.changed, 3);
  assert.equal(await onHand('BT-A'), 15, 'a re-run must not re-apply the old count');
  problem(await send(`/v1/imports?id=bt-1&source=pos&as_of=${asOf}`, csv), 409, '/problems/import-exists');
});

test('an NDJSON snapshot, and bad import requests refused with a clear problem', async () => {
  const ndjson = [
    { sku: 'BT-N1', location: 'W1', on_hand: 7, as_of: anHourAgo() },
    { sku: 'BT-N2', location: 'W1', on_hand: '7' },
  ].map((o) => JSON.stringify(o)).join('\n');
  const r = await send('/v1/imports?id=bt-nd&source=wms', ndjson, 'application/x-ndjson');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.format, 'ndjson');
  assert.equal(r.body.changed, 1);
  assert.equal(r.body.failed, 1);
  assert.equal(await onHand('BT-N1'), 7);
  problem(await send('/v1/imports?source=wms', 'sku,location,on_hand\n'), 422, '/problems/validation');
  problem(await send('/v1/imports?id=x1&source=nope', 'sku,location,on_hand\n'), 422, '/problems/unknown-source');
  problem(await send('/v1/imports?id=x2&source=wms&format=xml', 'x'), 422, '/problems/validation');
  problem(await send('/v1/imports?id=x3&source=wms&mode=most', 'x'), 422, '/problems/validation');
  problem(await send('/v1/imports?id=x4&source=wms&mode=full', 'sku,location,on_hand\n'), 422, '/problems/validation');
  problem(await send(`/v1/imports?id=x5&source=wms&as_of=${new Date(Date.now() + 86400_000).toISOString()}`, 'sku,location,on_hand\n'), 422, '/problems/validation');
  problem(await send('/v1/imports?id=x6&source=wms', 'sku,where,on_hand\nA,W1,1\n'), 422, '/problems/unreadable-snapshot');
});

test('the health check reports drift and changes nothing; applied, the drift is gone', async () => {
  const asOf = anHourAgo();
  await send(`/v1/imports?id=bt-h0&source=wms&as_of=${asOf}`, 'sku,location,on_hand\nBT-H1,W1,10\nBT-H2,W1,10\n');
  const snapshot = 'sku,location,on_hand\nBT-H1,W1,10\nBT-H2,W1,6\nBT-H3,W1,2\n';
  const r = await send(`/v1/reconcile?as_of=${asOf}`, snapshot);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.total.compared, 3);
  assert.equal(r.body.total.drifting, 2);
  assert.equal(r.body.by_location.W1.drifting, 2);
  assert.equal(r.body.by_family.BT.drifting, 2);
  const h2 = r.body.positions.find((p) => p.sku === 'BT-H2');
  assert.deepEqual([h2.snapshot, h2.stockd, h2.would_change_by, h2.likely_cause], [6, 10, -4, 'missing_events']);
  assert.equal(await onHand('BT-H2'), 10, 'the check changes nothing');
  const applied = await send(`/v1/reconcile?as_of=${asOf}&apply=true&id=bt-h1&source=wms`, snapshot);
  assert.equal(applied.status, 200, applied.text);
  assert.equal(applied.body.applied.changed, 2);
  assert.equal(await onHand('BT-H2'), 6);
  const after = await send(`/v1/reconcile?as_of=${asOf}`, snapshot);
  assert.equal(after.body.total.drifting, 0);
  problem(await send(`/v1/reconcile?as_of=${asOf}&apply=true&source=wms`, snapshot), 422, '/problems/validation');
  problem(await send('/v1/reconcile?limit=0', snapshot), 422, '/problems/validation');
});

test('exports stream every position as CSV or NDJSON, now or as recorded at a past time', async () => {
  const before = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 20));
  await call(server, 'POST', '/v1/events', { body: receipt('BT-A', 100) });
  const csv = await call(server, 'GET', '/v1/exports/positions?format=csv');
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /^text\/csv/);
  const lines = csv.text.trim().split('\n');
  assert.match(lines[0], /^sku,location,on_hand,reserved,allocated,available/);
  const a = lines.find((l) => l.startsWith('BT-A,W1,'));
  assert.equal(a.split(',')[2], '115');
  const past = await call(server, 'GET', `/v1/exports/positions?format=ndjson&as_of=${before}`);
  assert.equal(past.status, 200);
  const rows = past.text.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.find((p) => p.sku === 'BT-A' && p.location === 'W1').on_hand, 15);
  assert.equal(rows[0].as_of, before.replace(/(\.\d{3})\d*Z$/, '$1Z'));
  const w1 = await call(server, 'GET', '/v1/exports/positions?format=ndjson&location=S1');
  assert.ok(w1.text.trim().split('\n').every((l) => JSON.parse(l).location === 'S1'));
  problem(await call(server, 'GET', '/v1/exports/positions?format=xlsx'), 422, '/problems/validation');
  problem(await call(server, 'GET', '/v1/exports/positions?as_of=yesterday'), 422, '/problems/validation');
});

test('the CLI imports 20,000 rows with a progress bar, reconciles and exports', async () => {
  await server.stop();
  const dir = server.dataDir;
  const file = join(tempDir(), 'snapshot.csv');
  let csv = 'sku,location,on_hand\n';
  for (let i = 0; i < 20000; ++i) csv += `CLI-${i},W1,${i % 50}\n`;
  csv += 'CLI-BAD,W1,-1\n';
  writeFileSync(file, csv);
  const asOf = anHourAgo();
  const run = (...args) => spawnSync(STOCKD, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const imported = run('import', '--data-dir', dir, '--id', 'cli-1', '--source', 'wms', '--as-of', asOf, file);
  assert.equal(imported.status, 1, imported.stderr);  // one bad row
  const report = JSON.parse(imported.stdout);
  assert.equal(report.rows, 20000);
  assert.equal(report.changed + report.unchanged, 20000);
  assert.deepEqual(report.errors, [{ line: 20002, reason: 'on_hand is a whole number from 0 to 1000000000' }]);
  assert.match(imported.stderr, /100%.*20000 rows/);
  const again = run('import', '--data-dir', dir, '--id', 'cli-1', '--source', 'wms', '--as-of', asOf, file);
  assert.match(again.stderr, /already done; nothing changed/);
  const checked = run('reconcile', '--data-dir', dir, '--snapshot', file, '--as-of', asOf);
  assert.equal(checked.status, 0, checked.stderr);
  assert.equal(JSON.parse(checked.stdout).total.drifting, 0);
  const exported = run('export', '--data-dir', dir, '--format', 'csv');
  assert.equal(exported.status, 0, exported.stderr);
  assert.ok(exported.stdout.split('\n').some((l) => l.startsWith('CLI-49,W1,49,')));
  server = await startServer({ dataDir: dir, keepData: true });
  assert.equal(await onHand('CLI-7'), 7);
});
