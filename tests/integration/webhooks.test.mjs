// Outbound sync through webhooks, against a real HTTP receiver: signed deliveries that an
// independent verifier (npm `standardwebhooks`) accepts, retries, Retry-After, nothing
// lost while the receiver is down or stockd is killed, conflation under a burst, the
// circuit breaker, dead letters and their replay, 410, and degraded channels.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { startServer, call, tempDir, receipt } from './harness.mjs';
import { startReceiver, waitFor, closeAllReceivers } from './receiver.mjs';

let server;
let dataDir;
let configPath;

async function start() {
  server = await startServer({ dataDir, keepData: true, args: ['--config', configPath] });
}

before(async () => {
  dataDir = tempDir();
  configPath = join(tempDir(), 'stockd.toml');
  writeFileSync(configPath, [
    '[webhooks]',
    'retry_base_ms = 100',
    'retry_cap_ms = 400',
    'breaker_failures = 3',
    'breaker_open_ms = 1500',
    '',
  ].join('\n'));
  await start();
  const put = async (path, body) => assert.equal((await call(server, 'PUT', path, { body })).status, 200, path);
  await put('/v1/locations/W1', { type: 'warehouse' });
  await put('/v1/locations/W2', { type: 'warehouse' });
  await put('/v1/sources/wms', { priority: 100 });
  await put('/v1/channels/web', { locations: [{ id: 'W1', priority: 1 }, { id: 'W2', priority: 2 }], buffer: { units: 2 } });
  await put('/v1/channels/market', { locations: [{ id: 'W1', priority: 1 }], sync_latency_seconds: 1, degraded_buffer: { units: 3 } });
});
after(async () => { await closeAllReceivers(); await server.stop(); });

const post = (events) => call(server, 'POST', '/v1/events', { body: { events } });
async function subscribe(receiver, extra = {}) {
  const r = await call(server, 'POST', '/v1/webhooks', { body: { url: receiver.url, ...extra } });
  assert.equal(r.status, 201, r.text);
  assert.match(r.body.secret, /^whsec_/);
  return r.body;
}
const unsubscribe = async (hook) => assert.equal((await call(server, 'DELETE', `/v1/webhooks/${hook.id}`)).status, 204);
const lastFor = (receiver, sku, channel) => receiver.events().filter((e) => e.subject === sku && e.data.channel === channel).at(-1);

test('deliveries are CloudEvents signed the Standard Webhooks way, verified independently', async () => {
  const receiver = await startReceiver();
  const hook = await subscribe(receiver);
  assert.deepEqual(hook.event_types, ['stockd.availability.changed']);
  const r = await post([receipt('WH-SIGN', 10), receipt('WH-SIGN', 5, 'W2')]);
  assert.equal(r.status, 200);
  await waitFor(() => lastFor(receiver, 'WH-SIGN', 'web')?.data.available === 11, 10000, 'delivery');
  const verifier = new Webhook(hook.secret);
  for (const delivery of receiver.deliveries) {
    const event = verifier.verify(delivery.body, delivery.headers);  // throws on a bad signature
    assert.equal(event.specversion, '1.0');
    assert.equal(event.type, 'stockd.availability.changed');
    assert.equal(event.id, delivery.headers['webhook-id']);
    assert.equal(event.source, '/stockd');
  }
  const event = lastFor(receiver, 'WH-SIGN', 'web');
  assert.deepEqual(event.data.locations.map((l) => [l.location, l.available]), [['W1', 8], ['W2', 3]]);  // the 2-unit buffer applies per location
  assert.ok(Date.parse(event.data.occurred_at) <= Date.parse(event.data.recorded_at));
  // A wrong secret does not verify.
  assert.throws(() => new Webhook('whsec_' + Buffer.alloc(32, 7).toString('base64')).verify(receiver.deliveries[0].body, receiver.deliveries[0].headers));
  // market pools W1 only: its own event, with its own number.
  await waitFor(() => lastFor(receiver, 'WH-SIGN', 'market')?.data.available === 10, 10000, 'market');
  await unsubscribe(hook);
  await receiver.close();
});

test('a subscription can choose channels and raw stock changes; bad requests are refused', async () => {
  const receiver = await startReceiver();
  const hook = await subscribe(receiver, { channels: ['market'], event_types: ['stockd.availability.changed', 'stockd.stock.changed'] });
  await post([receipt('WH-FILTER', 4)]);
  await waitFor(() => receiver.events().some((e) => e.type === 'stockd.stock.changed' && e.subject === 'WH-FILTER'), 10000, 'stock event');
  await waitFor(() => lastFor(receiver, 'WH-FILTER', 'market')?.data.available === 4, 10000, 'market event');
  assert.ok(!receiver.events().some((e) => e.data.channel === 'web'));
  const stock = receiver.events().find((e) => e.type === 'stockd.stock.changed');
  assert.equal(stock.data.location, 'W1');
  assert.equal(stock.data.on_hand, 4);
  await unsubscribe(hook);
  await receiver.close();

  for (const [body, field] of [
    [{ url: 'ftp://example.com/x' }, 'url'],
    [{}, 'url'],
    [{ url: 'http://127.0.0.1:9/x', channels: ['nope'] }, 'channels'],
    [{ url: 'http://127.0.0.1:9/x', event_types: ['stockd.nope'] }, 'event_types'],
    [{ url: 'http://127.0.0.1:9/x', secret: 'whsec_short' }, 'secret'],
    [{ url: 'http://127.0.0.1:9/x', max_attempts: 0 }, 'max_attempts'],
    [{ url: 'http://127.0.0.1:9/x', extra: 1 }, 'extra'],
  ]) {
    const r = await call(server, 'POST', '/v1/webhooks', { body });
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(r.body.type, '/problems/validation');
    assert.equal(r.body.field, field);
  }
  const missing = await call(server, 'GET', '/v1/webhooks/wh_0000000000000000');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.type, '/problems/webhook-not-found');
});

test('failed deliveries are retried with backoff, and Retry-After is honoured', async () => {
  const receiver = await startReceiver();
  receiver.mode = 'fail';
  const hook = await subscribe(receiver, { channels: ['web'] });
  await post([receipt('WH-RETRY', 10)]);
  await waitFor(() => receiver.attempts.length >= 2, 10000, 'two failed attempts');
  receiver.mode = 'throttle';
  receiver.state.retryAfter = '2';
  await waitFor(() => receiver.attempts.some((a) => a.mode === 'throttle'), 10000, 'a throttled attempt');
  const throttledAt = receiver.attempts.find((a) => a.mode === 'throttle').at;
  receiver.mode = 'ok';
  await waitFor(() => lastFor(receiver, 'WH-RETRY', 'web')?.data.available === 8, 10000, 'delivery after retries');
  assert.ok(receiver.deliveries[0].at - throttledAt >= 1900, `retried ${receiver.deliveries[0].at - throttledAt} ms after a Retry-After of 2 s`);
  // Every attempt carried the same event id (receivers de-duplicate on it).
  const ids = new Set(receiver.attempts.map((a) => a.headers['webhook-id']));
  assert.equal(ids.size, 1);
  // stockd counts the delivery once the receiver's answer is back: wait for it.
  let status;
  await waitFor(async () => {
    status = (await call(server, 'GET', `/v1/webhooks/${hook.id}`)).body;
    return status.delivery.delivered === 1;
  }, 5000, 'the delivery counted');
  assert.ok(status.delivery.failed_attempts >= 3);
  await unsubscribe(hook);
  await receiver.close();
});

test('nothing is lost while the receiver is down; a burst is conflated to the newest number', async () => {
  const receiver = await startReceiver();
  const hook = await subscribe(receiver, { channels: ['web'] });
  await receiver.down();
  // 60 changes of one SKU and one change each of 20 others while nobody listens.
  for (let i = 0; i < 60; i += 1) await post([receipt('WH-BURST', 1)]);
  const others = Array.from({ length: 20 }, (_, i) => `WH-DOWN-${i}`);
  await post(others.map((sku) => receipt(sku, 5)));
  await new Promise((resolve) => setTimeout(resolve, 500));
  await receiver.up();
  await waitFor(() => others.every((sku) => lastFor(receiver, sku, 'web')?.data.available === 3) &&
    lastFor(receiver, 'WH-BURST', 'web')?.data.available === 58, 20000, 'every final number');
  const burst = receiver.events().filter((e) => e.subject === 'WH-BURST');
  assert.ok(burst.length < 10, `${burst.length} deliveries for 60 changes`);
  // Ordered per SKU: sequences only grow.
  const sequences = burst.map((e) => e.data.sequence);
  assert.deepEqual(sequences, [...sequences].sort((a, b) => a - b));
  const status = (await call(server, 'GET', `/v1/webhooks/${hook.id}`)).body;
  assert.ok(status.delivery.conflated >= 50, JSON.stringify(status.delivery));
  await unsubscribe(hook);
  await receiver.close();
});

test('a per-destination rate limit sends the newest number under a flash sale', async () => {
  const receiver = await startReceiver();
  const hook = await subscribe(receiver, { channels: ['web'], rate_per_second: 4 });
  await post([receipt('WH-FLASH', 500)]);
  const started = Date.now();
  for (let i = 0; i < 100; i += 1) {
    await post([{ ...receipt('WH-FLASH', 1), type: 'sale', reason: undefined }]);
  }
  await waitFor(() => lastFor(receiver, 'WH-FLASH', 'web')?.data.available === 398, 20000, 'the final number');
  const elapsed = (Date.now() - started) / 1000;
  const count = receiver.events().filter((e) => e.subject === 'WH-FLASH').length;
  // A burst of up to 4 (the bucket), then 4 per second; 101 changes, a handful of deliveries.
  assert.ok(count <= 4 * elapsed + 5, `${count} deliveries in ${elapsed} s at 4/s`);
  assert.ok(count < 20, `${count} deliveries for 101 changes`);
  await unsubscribe(hook);
  await receiver.close();
});

test('the circuit breaker stops hammering, the channel is degraded and recovers by itself', async () => {
  const receiver = await startReceiver();
  receiver.mode = 'fail';
  const hook = await subscribe(receiver, { channels: ['market'], max_attempts: 100 });
  await post([receipt('WH-CB', 20)]);
  await waitFor(async () => (await call(server, 'GET', `/v1/webhooks/${hook.id}`)).body.delivery.circuit === 'open', 10000, 'open circuit');
  const attemptsWhenOpen = receiver.attempts.length;
  assert.equal(attemptsWhenOpen, 3);
  await new Promise((resolve) => setTimeout(resolve, 700));
  assert.equal(receiver.attempts.length, attemptsWhenOpen, 'no attempts while open');
  // Degraded: an alert, and the channel sells conservatively (extra 3-unit buffer).
  await waitFor(async () => (await call(server, 'GET', '/v1/alerts')).body.active.some((a) => a.key === 'channel_degraded:market'), 5000, 'alert');
  const degraded = await call(server, 'GET', '/v1/availability/WH-CB?channel=market');
  assert.equal(degraded.body.degraded, true);
  assert.equal(degraded.body.available, 17);
  receiver.mode = 'ok';
  await waitFor(() => lastFor(receiver, 'WH-CB', 'market')?.data.available === 20, 10000, 'delivery after the circuit closed');
  await waitFor(async () => !(await call(server, 'GET', '/v1/alerts')).body.active.some((a) => a.key === 'channel_degraded:market'), 5000, 'alert cleared');
  const recovered = await call(server, 'GET', '/v1/availability/WH-CB?channel=market');
  assert.equal(recovered.body.degraded, false);
  assert.equal(recovered.body.available, 20);
  await unsubscribe(hook);
  await receiver.close();
});

test('dead letters are listed and replayed; 410 disables the subscription', async () => {
  const receiver = await startReceiver();
  receiver.mode = 'fail';
  const hook = await subscribe(receiver, { channels: ['web'], max_attempts: 2 });
  await post([receipt('WH-DLQ', 9)]);
  let letters;
  await waitFor(async () => {
    letters = (await call(server, 'GET', `/v1/webhooks/${hook.id}/dead-letters`)).body.dead_letters;
    return letters.length === 1;
  }, 10000, 'a dead letter');
  assert.equal(letters[0].subject, 'WH-DLQ');
  assert.equal(letters[0].attempts, 2);
  assert.equal(letters[0].event.data.available, 7);
  receiver.mode = 'ok';
  const replay = await call(server, 'POST', `/v1/webhooks/${hook.id}/dead-letters/replay`, { body: {} });
  assert.equal(replay.status, 202);
  assert.equal(replay.body.queued, 1);
  await waitFor(() => receiver.deliveries.some((d) => d.headers['webhook-id'] === letters[0].event_id), 10000, 'replayed delivery');
  await waitFor(async () => (await call(server, 'GET', `/v1/webhooks/${hook.id}/dead-letters`)).body.dead_letters.length === 0, 5000, 'empty dead-letter list');

  receiver.mode = 'gone';
  await post([receipt('WH-DLQ', 1)]);
  await waitFor(async () => (await call(server, 'GET', `/v1/webhooks/${hook.id}`)).body.enabled === false, 10000, 'disabled');
  const alerts = (await call(server, 'GET', '/v1/alerts')).body.active;
  assert.ok(alerts.some((a) => a.key === `webhook_disabled:${hook.id}`));
  await unsubscribe(hook);
  await receiver.close();
});

test('while a secret rotates, deliveries carry a signature for each valid secret', async () => {
  const receiver = await startReceiver();
  const hook = await subscribe(receiver, { channels: ['web'] });
  const rotated = await call(server, 'POST', `/v1/webhooks/${hook.id}/rotate-secret`);
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.secret, hook.secret);
  await post([receipt('WH-ROTATE', 5)]);
  await waitFor(() => receiver.deliveries.length > 0, 10000, 'delivery');
  const delivery = receiver.deliveries[0];
  assert.equal(delivery.headers['webhook-signature'].split(' ').length, 2);
  new Webhook(hook.secret).verify(delivery.body, delivery.headers);
  new Webhook(rotated.body.secret).verify(delivery.body, delivery.headers);
  await unsubscribe(hook);
  await receiver.close();
});

test('kill -9 mid-delivery loses nothing: after restart every final number arrives', async () => {
  const receiver = await startReceiver();
  const hook = await subscribe(receiver, { channels: ['web'], rate_per_second: 50 });
  const skus = Array.from({ length: 200 }, (_, i) => `WH-KILL-${i}`);
  const r = await post(skus.map((sku) => receipt(sku, 7)));
  assert.equal(r.status, 200);  // acknowledged: durable, with its outbox rows
  await waitFor(() => receiver.deliveries.length >= 10, 10000, 'some deliveries');
  await server.kill9();
  const before = new Set(receiver.events().map((e) => e.subject));
  assert.ok(before.size < skus.length, 'killed mid-delivery');
  await start();
  await waitFor(() => skus.every((sku) => lastFor(receiver, sku, 'web')?.data.available === 5), 30000, 'every SKU after restart');
  await unsubscribe(hook);
  await receiver.close();
});

test('inbound: a source that signs is verified, stale and replayed requests are refused', async () => {
  const secret = 'whsec_' + Buffer.alloc(32, 11).toString('base64');
  const put = await call(server, 'PUT', '/v1/sources/partner', { body: { priority: 10, webhook_secrets: [secret], require_signature: true } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.webhook_secrets_count, 1);
  assert.equal(put.body.webhook_secrets, undefined);  // never shown
  const signer = new Webhook(secret);
  const event = (id) => ({ id, source: 'partner', type: 'receipt', sku: 'WH-IN', location: 'W1', quantity: 5, occurred_at: new Date().toISOString() });
  const send = (payload, { id = 'msg_' + Math.random().toString(16).slice(2), at = new Date(), sign = true, key = signer } = {}) => {
    const raw = JSON.stringify(payload);
    const headers = { 'content-type': 'application/json' };
    if (sign) {
      headers['webhook-id'] = id;
      headers['webhook-timestamp'] = String(Math.floor(at.getTime() / 1000));
      headers['webhook-signature'] = key.sign(id, at, raw);
    }
    return call(server, 'POST', '/v1/events', { raw, headers });
  };
  const onHand = async () => ((await call(server, 'GET', '/v1/stock/WH-IN')).body.positions ?? []).reduce((n, p) => n + p.on_hand, 0);

  const unsigned = await send(event('in-1'), { sign: false });
  assert.equal(unsigned.status, 401);
  assert.equal(unsigned.body.type, '/problems/invalid-signature');
  assert.equal(unsigned.body.reason, 'missing_headers');
  const forged = await send(event('in-1'), { key: new Webhook('whsec_' + Buffer.alloc(32, 12).toString('base64')) });
  assert.equal(forged.status, 401);
  assert.equal(forged.body.reason, 'no_match');
  const stale = await send(event('in-1'), { at: new Date(Date.now() - 10 * 60 * 1000) });
  assert.equal(stale.status, 401);
  assert.equal(stale.body.reason, 'outside_tolerance');
  assert.equal(await onHand(), 0, 'refused requests change nothing');

  const good = await send(event('in-1'), { id: 'msg_fixed' });
  assert.equal(good.status, 200, good.text);
  assert.equal(good.body.results[0].status, 'applied');
  const replayed = await send(event('in-2'), { id: 'msg_fixed' });
  assert.equal(replayed.status, 409);
  assert.equal(replayed.body.type, '/problems/replayed-webhook');
  assert.equal(await onHand(), 5);

  // A source without secrets is not asked for one; a bad secret is refused at PUT.
  const plain = await call(server, 'POST', '/v1/events', { body: receipt('WH-IN', 1) });
  assert.equal(plain.status, 200);
  const bad = await call(server, 'PUT', '/v1/sources/partner2', { body: { priority: 1, require_signature: true } });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.field, 'require_signature');
});
