// Cluster mode (docs/SCALING.md) through the real binary: three stockd nodes over
// librdkafka's mock cluster (3 brokers, a helper process). Commands go through the
// commands topic and are applied by each partition's owner; any node answers any request.
// One node is killed with SIGKILL mid-load: its partitions move, the load goes on, and no
// acknowledged fact or hold is lost or applied twice. Then 64 clients race for one SKU's
// last units through all three nodes and exactly the stock there is gets promised.
// Configuration (each node's stockd.toml and API changes) goes through the configuration
// topic and every node applies it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, startKafkaMock, call, tempDir } from './harness.mjs';
import { waitFor } from './receiver.mjs';

const PARTITIONS = 6;
let mock;
let brokers;
const nodes = [];      // running servers by node id (null while down)
const dataDirs = [];
const configs = [];

const configFor = (id) => [
  '[[locations]]', 'id = "W1"', '',
  '[[locations]]', 'id = "S1"', 'type = "store"', '',
  '[[sources]]', 'id = "wms"', 'priority = 100', '',
  '[[channels]]', 'id = "web"', 'locations = [{ id = "W1", priority = 1 }, { id = "S1", priority = 2 }]', '',
  '[cluster]', `bootstrap = "${brokers}"`, `node_id = ${id}`, `partitions = ${PARTITIONS}`,
  'session_timeout_ms = 4000', 'request_timeout_ms = 60000', 'tick_ms = 500', '',
].join('\n');

const startNode = async (id) => {
  nodes[id] = await startServer({ dataDir: dataDirs[id], keepData: true, args: ['--config', configs[id]] });
  return nodes[id];
};

const cluster = async (node) => (await call(node, 'GET', '/v1/cluster')).body;
// Every partition owned by one of `count` live nodes, caught up, and every live node
// agreeing on who owns what (the table's owner is the node that applies the partition).
const settled = async (count) => {
  for (const node of nodes.filter(Boolean)) {
    const view = await cluster(node);
    const owners = new Set(view.partition_table.map((row) => row.owner));
    if (owners.size !== count) return false;
    for (const row of view.partition_table) {
      if (row.owner === null || !nodes[row.owner] || row.lag !== 0) return false;
      if (row.owned_here !== (row.owner === view.node.id)) return false;
    }
  }
  return true;
};

before(async () => {
  mock = await startKafkaMock([`stockd.commands:${PARTITIONS}`, 'stockd.replies:3', 'stockd.members:1', 'stockd.config:1']);
  brokers = mock.brokers;
  for (let id = 0; id < 3; id += 1) {
    dataDirs[id] = tempDir();
    configs[id] = join(tempDir(), 'stockd.toml');
    writeFileSync(configs[id], configFor(id));
  }
  for (let id = 0; id < 3; id += 1) await startNode(id);
  await waitFor(() => settled(3), 60000, 'three nodes sharing the partitions');
});

after(async () => {
  for (const node of nodes) await node?.stop();
  mock.stop();
});

// The SKU's partition, as stockd computes it: FNV-1a 64 of the SKU, mod 65,536 slots,
// mod the partitions.
const partitionOf = (sku) => {
  let hash = 1469598103934665603n;
  for (const byte of Buffer.from(sku)) {
    hash ^= BigInt(byte);
    hash = (hash * 1099511628211n) & 0xffffffffffffffffn;
  }
  return Number((hash % 65536n) % BigInt(PARTITIONS));
};

let serial = 0;
const receipt = (sku, quantity) => ({ id: `cl-${process.pid}-${++serial}`, source: 'wms', type: 'receipt',
  sku, location: 'W1', quantity, occurred_at: new Date().toISOString() });

// Sends until some live node acknowledges it (a node killed mid-request refuses or drops
// it; the retry, same ids and keys, goes to the next node).
async function untilAcknowledged(first, send) {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const node = nodes[(first + attempt) % 3];
    if (!node) continue;
    try {
      const response = await send(node);
      if (response.status < 500) return response;
    } catch { /* the node went down under the request */ }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('never acknowledged');
}

test('any node answers any SKU, and GET /v1/cluster shows who owns what', async () => {
  const view = await cluster(nodes[1]);
  assert.equal(view.mode, 'cluster');
  assert.equal(view.partitions, PARTITIONS);
  assert.equal(view.partition_table.length, PARTITIONS);
  const owners = new Set(view.partition_table.map((row) => row.owner));
  assert.equal(owners.size, 3, JSON.stringify(view));
  // Each node announces the address it really listens on (its port was chosen at bind).
  for (const row of view.nodes) assert.equal(`http://${row.address}`, nodes[row.id].url);
  // A fact through node 0 is read back through nodes 1 and 2, whoever owns its SKU.
  const ack = await call(nodes[0], 'POST', '/v1/events', { body: receipt('CL-ANY', 7) });
  assert.equal(ack.status, 200, ack.text);
  assert.equal(ack.body.results[0].status, 'applied');
  for (const node of [nodes[1], nodes[2]]) {
    const stock = await call(node, 'GET', '/v1/stock/CL-ANY');
    assert.equal(stock.status, 200, stock.text);
    assert.equal(stock.body.positions[0].on_hand, 7);
  }
  const hold = await call(nodes[2], 'POST', '/v1/reservations',
    { body: { sku: 'CL-ANY', channel: 'web', quantity: 2 } });
  assert.equal(hold.status, 201, hold.text);
  const seen = await call(nodes[0], 'GET', `/v1/reservations/${hold.body.id}`);
  assert.equal(seen.status, 200, seen.text);
  assert.equal(seen.body.quantity, 2);
  const released = await call(nodes[1], 'DELETE', `/v1/reservations/${hold.body.id}`);
  assert.equal(released.status, 200, released.text);
  // Holds expire by the log's time: the owner stamps its clock into its partitions.
  const brief = await call(nodes[0], 'POST', '/v1/reservations',
    { body: { sku: 'CL-ANY', channel: 'web', quantity: 3, ttl_seconds: 1 } });
  assert.equal(brief.status, 201, brief.text);
  await waitFor(async () => (await call(nodes[2], 'GET', `/v1/reservations/${brief.body.id}`)).body.state === 'expired',
    15000, 'the hold expired');
  assert.equal((await call(nodes[1], 'GET', '/v1/stock/CL-ANY')).body.positions[0].reserved, 0);
  // A message in the commands topic that is no command is skipped by the owner, counted,
  // and the partition goes on.
  const partition = partitionOf('CL-ANY');
  const kcat = spawnSync('kcat', ['-b', brokers, '-X', 'log_level=0', '-P', '-t', 'stockd.commands',
    '-p', String(partition)], { input: 'not a command\n', encoding: 'utf8', timeout: 30000 });
  assert.equal(kcat.status, 0, kcat.stderr);
  const after = await call(nodes[1], 'POST', '/v1/events', { body: receipt('CL-ANY', 1) });
  assert.equal(after.body.results[0].status, 'applied', after.text);
  const owner = (await cluster(nodes[0])).partition_table[partition].owner;
  const metrics = (await call(nodes[owner], 'GET', '/metrics')).text;
  assert.match(metrics, /stockd_cluster_commands_applied_total [1-9]/);
  await waitFor(async () => (await cluster(nodes[owner])).stats.unreadable === 1, 10000, 'the bad message counted');
  assert.equal((await call(nodes[2], 'GET', '/v1/stock/CL-ANY')).body.positions[0].on_hand, 8);
  // Configuration goes through the configuration topic: a change on one node is applied
  // by every node, and the nodes' catalog digests agree.
  assert.equal((await call(nodes[0], 'PUT', '/v1/locations/X9', { body: { type: 'warehouse' } })).status, 200);
  for (const node of nodes) {
    await waitFor(async () => (await call(node, 'GET', '/v1/locations/X9')).status === 200, 10000, 'X9 everywhere');
  }
  assert.equal((await call(nodes[2], 'DELETE', '/v1/locations/X9')).status, 204);
  for (const node of nodes) {
    await waitFor(async () => (await call(node, 'GET', '/v1/locations/X9')).status === 404, 10000, 'X9 gone everywhere');
  }
  assert.equal((await call(nodes[0], 'DELETE', '/v1/locations/X9')).status, 404);
  await waitFor(async () => (await cluster(nodes[1])).catalogs_agree === true, 10000, 'catalogs agreeing');
  assert.match((await call(nodes[1], 'GET', '/metrics')).text, /stockd_cluster_catalogs_agree 1/);
  // Multi-SKU operations are refused, clearly.
  const order = await call(nodes[0], 'POST', '/v1/orders', { body: {} });
  assert.equal(order.status, 501);
  assert.match(order.body.type, /not-in-cluster-mode/);
});

test('kill -9 of a node mid-load: its partitions move, nothing acknowledged is lost or doubled', async () => {
  const skus = Array.from({ length: 12 }, (_, i) => `CL-${i}`);
  const received = new Map(skus.map((sku) => [sku, 0]));
  const held = new Map(skus.map((sku) => [sku, 0]));
  let requests = 0;
  let killed = false;
  const worker = async (w) => {
    for (let i = 0; i < 40; i += 1) {
      requests += 1;
      if (!killed && requests >= 200) {
        killed = true;
        await nodes[2].kill9();
        nodes[2] = null;
      }
      const sku = skus[(w * 7 + i) % skus.length];
      if (i % 4 === 3) {
        const key = `hold-${process.pid}-${w}-${i}`;
        const response = await untilAcknowledged(w + i, (node) => call(node, 'POST', '/v1/reservations',
          { body: { sku, channel: 'web', location: 'W1', quantity: 1 }, headers: { 'idempotency-key': key } }));
        if (response.status === 201) held.set(sku, held.get(sku) + 1);
      } else {
        const event = receipt(sku, 2);
        const response = await untilAcknowledged(w + i, (node) => call(node, 'POST', '/v1/events', { body: event }));
        assert.equal(response.status, 200, response.text);
        assert.ok(['applied', 'duplicate'].includes(response.body.results[0].status), response.text);
        received.set(sku, received.get(sku) + 2);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
  assert.ok(killed);
  await waitFor(() => settled(2), 60000, 'the two survivors owning every partition');
  for (const sku of skus) {
    const stock = await call(nodes[0], 'GET', `/v1/stock/${sku}`);
    assert.equal(stock.status, 200, stock.text);
    const w1 = stock.body.positions.find((p) => p.location === 'W1');
    assert.equal(w1.on_hand, received.get(sku), `${sku}: every acknowledged fact once`);
    assert.equal(w1.reserved, held.get(sku), `${sku}: every acknowledged hold once`);
  }
  // The killed node comes back, catches up from its own checkpoint and takes a share again.
  await startNode(2);
  await waitFor(() => settled(3), 60000, 'three nodes again');
  for (const sku of skus) {
    const stock = await call(nodes[2], 'GET', `/v1/stock/${sku}`);
    assert.equal(stock.body.positions.find((p) => p.location === 'W1').on_hand, received.get(sku));
  }
});

test('64 clients race for one SKU through all three nodes: exactly the stock is promised', async () => {
  const ack = await call(nodes[1], 'POST', '/v1/events', { body: receipt('CL-RACE', 20) });
  assert.equal(ack.body.results[0].status, 'applied', ack.text);
  const results = await Promise.all(Array.from({ length: 64 }, (_, i) =>
    call(nodes[i % 3], 'POST', '/v1/reservations', { body: { sku: 'CL-RACE', channel: 'web', location: 'W1', quantity: 1 } })));
  const statuses = results.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 201).length, 20, JSON.stringify(statuses));
  assert.equal(statuses.filter((s) => s === 409).length, 44, JSON.stringify(statuses));
  const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id));
  assert.equal(ids.size, 20, 'twenty distinct holds');
  const stock = await call(nodes[2], 'GET', '/v1/stock/CL-RACE');
  assert.equal(stock.body.positions[0].reserved, 20);
  assert.equal(stock.body.positions[0].available, 0);
});
