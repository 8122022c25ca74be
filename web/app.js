// The stockd dashboard: reads GET /v1/stream (server-sent events, through fetch so the
// token travels in a header) and renders tiles, charts (uPlot) and tables; looks up a
// SKU's positions and recent ledger entries. No build step, no framework.
'use strict';

const state = { token: null, events: [[], [], []], lag: [[], [], []], changes: [] };
const HISTORY = 300;  // seconds of chart history
const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const num = (value) => fmt.format(value ?? 0);
const ms = (value) => (value >= 1000 ? fmt.format(value / 1000) + ' s' : fmt.format(value) + ' ms');
const time = (iso) => new Date(iso).toLocaleTimeString();
const since = (iso) => {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  return `${fmt.format(seconds / 3600)} h ago`;
};

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}
function badge(text, kind) {
  const td = document.createElement('td');
  const span = document.createElement('span');
  span.className = `badge ${kind}`;
  span.textContent = text;
  td.append(span);
  return td;
}
function fill(tableId, rows) {
  const body = $(tableId).querySelector('tbody');
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement('tr');
    tr.append(...cells);
    return tr;
  }));
}

async function api(path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${state.token}` } });
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

// Charts.
let eventsChart;
let lagChart;
function makeCharts() {
  const width = (id) => Math.max(300, $(id).clientWidth || 500);
  const axes = [{}, { size: 60 }];
  eventsChart = new uPlot({ width: width('chart-events'), height: 200, axes,
    series: [{}, { label: 'events/s', stroke: '#2b6cb0', fill: 'rgba(43,108,176,.08)' },
                 { label: 'rejected/s', stroke: '#c53030' }] }, state.events, $('chart-events'));
  lagChart = new uPlot({ width: width('chart-lag'), height: 200, axes,
    series: [{}, { label: 'p50 ms', stroke: '#1f8a4c' }, { label: 'p95 ms', stroke: '#b7791f' }] },
    state.lag, $('chart-lag'));
}
function push(series, x, values) {
  series[0].push(x);
  values.forEach((value, i) => series[i + 1].push(value));
  if (series[0].length > HISTORY) series.forEach((s) => s.shift());
}

function render(snapshot) {
  $('updated').textContent = `updated ${time(snapshot.at)}`;
  $('t-events').textContent = num(snapshot.events.per_second);
  $('t-events-total').textContent = `${num(snapshot.events.total)} events in total`;
  $('t-lag').textContent = snapshot.event_lag_ms.window_count
    ? `${ms(snapshot.event_lag_ms.p50)} / ${ms(snapshot.event_lag_ms.p95)}` : '–';
  $('t-sync').textContent = snapshot.sync_lag_ms.window_count ? ms(snapshot.sync_lag_ms.p95) : '–';
  $('t-changes').textContent = num(snapshot.availability_changes.per_second);
  $('t-changes-total').textContent = `${num(snapshot.availability_changes.total)} in total`;
  $('t-reservations').textContent = num(snapshot.reservations.created_per_second);
  $('t-refused').textContent = `${num(snapshot.reservations.refused_per_second)} refused / s`;
  $('t-alerts').textContent = String(snapshot.alerts.length);
  const degraded = snapshot.channels.filter((c) => c.degraded).length;
  $('t-degraded').textContent = degraded ? `${degraded} channel(s) degraded` : 'all channels in sync';

  const x = Date.parse(snapshot.at) / 1000;
  push(state.events, x, [snapshot.events.per_second, snapshot.events.rejected_per_second]);
  push(state.lag, x, [snapshot.event_lag_ms.window_count ? snapshot.event_lag_ms.p50 : null,
                      snapshot.event_lag_ms.window_count ? snapshot.event_lag_ms.p95 : null]);
  eventsChart?.setData(state.events);
  lagChart?.setData(state.lag);

  fill('alerts', snapshot.alerts.map((a) => [badge(a.severity, a.severity), cell(a.message), cell(a.action), cell(since(a.since))]));
  $('alerts-empty').classList.toggle('hidden', snapshot.alerts.length > 0);
  fill('channels', snapshot.channels.map((c) => [
    cell(c.id),
    badge(c.degraded ? 'degraded' : 'in sync', c.degraded ? 'degraded' : 'ok'),
    cell(`${c.locations} locations`),
    cell(num(c.deliveries), 'num'),
    cell(c.deliveries ? ms(c.sync_lag_p95_ms) : '–', 'num'),
  ]));
  fill('nodes', snapshot.nodes.map((n) => [
    cell(n.name ? `${n.id} · ${n.name}` : n.id), cell(n.type), cell(num(n.events), 'num'),
    cell(n.events ? ms(n.lag_p50_ms) : '–', 'num'), cell(n.events ? ms(n.lag_p95_ms) : '–', 'num'),
  ]));
}

function renderChange(change) {
  state.changes.unshift(change);
  state.changes.length = Math.min(state.changes.length, 15);
  fill('changes', state.changes.map((c) => [cell(c.sku), cell(c.channel), cell(num(c.available), 'num'), cell(time(c.at))]));
  $('changes-empty').classList.add('hidden');
}

function setConnected(on) {
  const pill = $('connection');
  pill.textContent = on ? 'live' : 'disconnected';
  pill.className = `pill ${on ? 'on' : 'off'}`;
}

// Server-sent events over fetch; reconnects after a drop.
async function stream() {
  while (true) {
    try {
      const response = await fetch('/v1/stream', { headers: { authorization: `Bearer ${state.token}` } });
      if (response.status === 401 || response.status === 403) return showLogin('That token was refused.');
      if (!response.ok || !response.body) throw new Error(`stream: ${response.status}`);
      setConnected(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(message)?.[1];
          const data = /^data: (.*)$/m.exec(message)?.[1];
          if (!data) continue;
          if (event === 'snapshot') render(JSON.parse(data));
          else if (event === 'availability') renderChange(JSON.parse(data));
        }
      }
    } catch (error) {
      console.warn(String(error));
    }
    setConnected(false);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function lookup(sku) {
  $('lookup-message').textContent = 'Looking up…';
  const [stock, ledger] = await Promise.all([
    api(`/v1/stock/${encodeURIComponent(sku)}`),
    api(`/v1/stock/${encodeURIComponent(sku)}/ledger?limit=20`),
  ]);
  if (stock.status === 404) {
    $('lookup-result').classList.add('hidden');
    $('lookup-message').textContent = `No stock has ever been recorded for ${sku}.`;
    return;
  }
  if (stock.status !== 200) {
    $('lookup-message').textContent = stock.body.detail ?? `Lookup failed (${stock.status}).`;
    return;
  }
  $('lookup-message').textContent = `${sku}: ${stock.body.positions.length} position(s).`;
  fill('positions', stock.body.positions.map((p) => [
    cell(p.location), cell(num(p.on_hand), 'num'), cell(num(p.reserved), 'num'), cell(num(p.allocated), 'num'),
    cell(num(p.available), 'num'), cell(String(p.version), 'num'), cell(p.last_event_at ? time(p.last_event_at) : '–'),
  ]));
  const entries = ledger.status === 200 ? ledger.body.entries : [];
  fill('ledger', entries.map((e) => {
    const change = e.deltas.map((d) => `${d.location} ${d.bucket} ${d.delta > 0 ? '+' : ''}${d.delta}`).join(', ');
    return [cell(String(e.sequence), 'num'), cell(e.type ?? e.kind.replaceAll('_', ' ')), cell(e.source ?? '–'),
            cell(e.status ?? '–'), cell(change || '–'), cell(time(e.received_at))];
  }));
  $('lookup-result').classList.remove('hidden');
}

const MEASURES = {
  events_synced_within_5_minutes: 'Events synced within 5 minutes',
  availability_cancellation_rate: 'Orders cancelled for availability',
  reconciliation_variance: 'Reconciliation variance',
  pickup_promise_accuracy: 'Store pickup promise accuracy',
};
const percent = (value) => `${fmt.format(value * 100)} %`;
async function scorecard() {
  const month = new Date().toISOString().slice(0, 7);
  const { status, body } = await api(`/v1/scorecard?month=${month}`);
  if (status !== 200) return;
  $('scorecard-month').textContent = month;
  fill('scorecard', body.metrics.map((m) => {
    const target = m.target.replace(/^([<>=]+)(.*)$/, (_, op, value) => `${op.replace('>=', '≥')} ${percent(Number(value))}`);
    return [cell(MEASURES[m.metric] ?? m.metric), cell(m.value === null ? '–' : percent(m.value), 'num'), cell(target, 'num'),
            m.met === null ? cell('not measured yet') : badge(m.met ? 'met' : 'missed', m.met ? 'ok' : 'critical'), cell(m.note)];
  }));
}

function showLogin(message) {
  $('app').classList.add('hidden');
  $('login').classList.remove('hidden');
  if (message) $('connection').textContent = message;
}

async function start() {
  $('login').classList.add('hidden');
  $('app').classList.remove('hidden');
  if (!eventsChart) makeCharts();
  stream();
  scorecard();
  setInterval(scorecard, 60000);
}

$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  state.token = $('token').value.trim();
  localStorage.setItem('stockd-token', state.token);
  start();
});
$('lookup').addEventListener('submit', (event) => {
  event.preventDefault();
  const sku = $('sku').value.trim();
  if (sku) lookup(sku);
});

// A token in the fragment (#token=…, never sent to the server) or from an earlier visit.
const fromFragment = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromFragment) {
  localStorage.setItem('stockd-token', fromFragment);
  history.replaceState(null, '', location.pathname);
}
state.token = fromFragment || localStorage.getItem('stockd-token');
if (state.token) start(); else showLogin();
