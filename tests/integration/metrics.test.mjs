// GET /metrics: Prometheus text that Debian's promtool accepts on a real scrape after
// traffic, every histogram with its +Inf bucket, and the key series moving with traffic.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, call, declareShop, receipt } from './harness.mjs';

let server;
before(async () => { server = await startServer(); await declareShop(server); });
after(async () => { await server.stop(); });

async function scrape() {
  const r = await call(server, 'GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return r.text;
}

// The value of one series (name plus exact label text), or 0 when absent.
function value(text, series) {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test('promtool accepts a real scrape and every histogram has its +Inf bucket', async () => {
  await call(server, 'POST', '/v1/events', { body: { events: [receipt('M-1', 10), receipt('M-2', 5), { ...receipt('M-1', 1), location: 'NOWHERE' }] } });
  await call(server, 'POST', '/v1/reservations', { body: { sku: 'M-1', channel: 'web', quantity: 2 } });
  const text = await scrape();
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  // promtool does not insist on +Inf; we do.
  const histograms = [...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1]);
  assert.ok(histograms.length >= 4, histograms.join(','));
  for (const name of histograms) {
    const counts = [...text.matchAll(new RegExp(`^${name}_count(\\{[^}]*\\})? `, 'gm'))];
    for (const [, labels = ''] of counts) {
      const inner = labels.slice(1, -1);
      const inf = inner ? `${name}_bucket{${inner},le="+Inf"}` : `${name}_bucket{le="+Inf"}`;
      assert.ok(text.includes(inf + ' '), `${inf} is missing`);
      assert.equal(value(text, inf), value(text, `${name}_count${labels}`), `${name}${labels}: +Inf equals _count`);
    }
  }
});

test('the key series move as traffic flows', async () => {
  const before = await scrape();
  await call(server, 'POST', '/v1/events', { body: { events: [receipt('M-3', 7), receipt('M-3', 1)] } });
  await call(server, 'POST', '/v1/events', { body: { ...receipt('M-3', 1), location: 'NOWHERE' } });
  await call(server, 'POST', '/v1/reservations', { body: { sku: 'M-3', channel: 'web', quantity: 1 } });
  await call(server, 'POST', '/v1/reservations', { body: { sku: 'M-3', channel: 'web', quantity: 1000 } });
  const after = await scrape();
  const moved = (series) => value(after, series) - value(before, series);
  assert.equal(moved('stockd_events_total{source="wms",type="receipt",result="applied"}'), 2);
  assert.equal(moved('stockd_events_total{source="wms",type="receipt",result="rejected"}'), 1);
  assert.equal(moved('stockd_event_lag_seconds_count{source="wms"}'), 2);
  assert.equal(moved('stockd_location_event_lag_seconds_count{location="W1"}'), 2);
  assert.equal(moved('stockd_reservations_total{result="created"}'), 1);
  assert.equal(moved('stockd_reservations_total{result="refused"}'), 1);
  assert.ok(moved('stockd_availability_changes_total') >= 2);
  assert.ok(moved('stockd_engine_write_duration_seconds_count') >= 1);
  assert.equal(moved('stockd_http_requests_total{method="POST",route="/v1/reservations",code="201"}'), 1);
  assert.equal(moved('stockd_http_requests_total{method="POST",route="/v1/reservations",code="409"}'), 1);
  assert.equal(value(after, 'stockd_channel_degraded{channel="web"}'), 0);
  // Unknown sources do not mint label values.
  await call(server, 'POST', '/v1/events', { body: { ...receipt('M-3', 1), source: 'made-up-' + Date.now() } });
  const unknown = await scrape();
  assert.ok(!/source="made-up-/.test(unknown));
  assert.ok(value(unknown, 'stockd_events_total{source="unknown",type="receipt",result="rejected"}') >= 1);
});

test('metrics need a token', async () => {
  const r = await call(server, 'GET', '/metrics', { token: null });
  assert.equal(r.status, 401);
});

test('alerts: a store never counted is stale, negative on-hand and late events raise and clear', async () => {
  const active = async () => (await call(server, 'GET', '/v1/alerts')).body.active;
  const waitFor = async (predicate, what) => {
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      if (predicate(await active())) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('timed out waiting for ' + what + ': ' + JSON.stringify(await active()));
  };
  // S1 (count SLA 24 h) has never been counted.
  await waitFor((alerts) => alerts.some((a) => a.key === 'stale_location:S1' && a.action.includes('cycle count')), 'stale S1');
  await call(server, 'POST', '/v1/events', { body: { id: 'al-count', source: 'pos', type: 'count', sku: 'AL-1', location: 'S1', quantity: 4, occurred_at: new Date().toISOString() } });
  await waitFor((alerts) => !alerts.some((a) => a.key === 'stale_location:S1'), 'S1 counted');
  // A sale before its receipt: negative on-hand at W1, cleared by the receipt.
  await call(server, 'POST', '/v1/events', { body: { id: 'al-sale', source: 'wms', type: 'sale', sku: 'AL-2', location: 'W1', quantity: 3, occurred_at: new Date().toISOString() } });
  await waitFor((alerts) => alerts.some((a) => a.key === 'negative_on_hand:W1' && a.message.startsWith('1 SKU')), 'negative on-hand');
  await call(server, 'POST', '/v1/events', { body: receipt('AL-2', 5) });
  await waitFor((alerts) => !alerts.some((a) => a.key === 'negative_on_hand:W1'), 'negative on-hand cleared');
  // Facts that occurred 10 minutes ago: lag over the 5-minute target.
  const old = new Date(Date.now() - 10 * 60 * 1000).toISOString();
  await call(server, 'POST', '/v1/events', { body: { events: Array.from({ length: 12 }, (_, i) => ({ ...receipt('AL-3', 1), occurred_at: old, id: `al-old-${i}` })) } });
  await waitFor((alerts) => alerts.some((a) => a.key === 'event_lag' && a.severity === 'critical'), 'lag alert');
  await waitFor((alerts) => !alerts.some((a) => a.key === 'event_lag'), 'lag alert cleared');
  const recent = (await call(server, 'GET', '/v1/alerts')).body.recent;
  assert.ok(recent.some((a) => a.key === 'event_lag' && a.cleared_at));
});

test('KPIs and the monthly scorecard come from the ledger, as JSON and CSV', async () => {
  const month = new Date().toISOString().slice(0, 7);
  await call(server, 'POST', '/v1/events', { body: { events: [
    receipt('KPI-1', 10),
    { id: 'kpi-sale', source: 'wms', type: 'sale', sku: 'KPI-1', location: 'W1', quantity: 4, occurred_at: new Date().toISOString() },
    { id: 'kpi-cancel', source: 'wms', type: 'cancellation', sku: 'KPI-1', location: 'W1', quantity: 1, reason: 'oversold', occurred_at: new Date().toISOString() },
  ] } });
  const kpis = await call(server, 'GET', '/v1/kpis');
  assert.equal(kpis.status, 200);
  assert.ok(kpis.body.event_lag.events >= 3);
  assert.ok(kpis.body.sales_units >= 4);
  assert.ok(kpis.body.cancellations_by_reason.oversold >= 1);
  assert.equal(kpis.body.promise_accuracy, null);
  const scorecard = await call(server, 'GET', `/v1/scorecard?month=${month}`);
  assert.equal(scorecard.status, 200);
  const synced = scorecard.body.metrics.find((m) => m.metric === 'events_synced_within_5_minutes');
  assert.equal(synced.target, '>=0.950000');
  assert.equal(typeof synced.met, 'boolean');
  const csv = await call(server, 'GET', `/v1/scorecard?month=${month}&format=csv`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /^text\/csv/);
  assert.match(csv.text, /^metric,value,target,met,note\nevents_synced_within_5_minutes,/);
  for (const [path, field] of [['/v1/scorecard?month=2026-13', 'month'], ['/v1/scorecard', 'month'],
    ['/v1/kpis?from=yesterday', 'from'], ['/v1/kpis?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z', 'from']]) {
    const r = await call(server, 'GET', path);
    assert.equal(r.status, 422, path);
    assert.equal(r.body.field, field, path);
  }
});

test('every request gets a request id, echoed and logged as one JSON line', async () => {
  const mine = await call(server, 'GET', '/v1/stock/NOPE', { headers: { 'x-request-id': 'trace-abc-123' } });
  assert.equal(mine.headers.get('x-request-id'), 'trace-abc-123');
  const generated = await call(server, 'GET', '/healthz', { token: null, headers: { 'x-request-id': 'bad id with spaces' } });
  assert.match(generated.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const line = server.errors().split('\n').find((l) => l.includes('trace-abc-123'));
  assert.ok(line, 'logged');
  const entry = JSON.parse(line);
  assert.equal(entry.msg, 'request');
  assert.equal(entry.route, '/v1/stock/{}');
  assert.equal(entry.status, 404);
  assert.equal(entry.level, 'info');
  assert.ok(entry.duration_ms >= 0);
  assert.ok(!Number.isNaN(Date.parse(entry.ts)));
});

test('alerts: a slipped purchase order puts a promise at risk until the promise ends', async () => {
  const active = async () => (await call(server, 'GET', '/v1/alerts')).body.active;
  const until = async (predicate, what) => {
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      if (predicate(await active())) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('timed out waiting for ' + what);
  };
  assert.equal((await call(server, 'PUT', '/v1/channels/bo', { body: { locations: [{ id: 'W1', priority: 1 }], backorder: true } })).status, 200);
  const po = (expected_at) => call(server, 'POST', '/v1/purchase-orders', { body: { id: 'AL-PO', vendor: 'acme', sku: 'AL-BO', location: 'W1', quantity: 5, expected_at } });
  assert.equal((await po('2026-12-10T00:00:00Z')).status, 201);
  const promise = await call(server, 'POST', '/v1/reservations', { body: { sku: 'AL-BO', channel: 'bo', quantity: 2, backorder: true } });
  assert.equal(promise.status, 201);
  assert.equal((await po('2026-12-31T00:00:00Z')).body.promises_at_risk, 1);
  await until((alerts) => alerts.some((a) => a.key === 'promises_at_risk' && a.message.startsWith('1 backorder')), 'at-risk alert');
  assert.equal((await call(server, 'DELETE', `/v1/reservations/${promise.body.id}`)).status, 200);
  await until((alerts) => !alerts.some((a) => a.key === 'promises_at_risk'), 'at-risk alert cleared');
});
