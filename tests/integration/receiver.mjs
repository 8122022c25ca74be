// A real HTTP webhook receiver on 127.0.0.1 for the sync tests. Its behaviour can be
// changed while it runs (answer 2xx, 500, 410, 429 + Retry-After, hang, or be down);
// it records every request with its headers, raw body and arrival time.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

// Receivers listen below the kernel's ephemeral port range: one that goes down and comes
// back up must get its port again, and no outgoing connection (of this or a parallel
// test) can be given that port as its local end meanwhile (seen once in CI: EADDRINUSE).
function ephemeralLow() {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 32768;
  }
}
const kPortLow = 20000;
const pickPort = () => {
  const high = ephemeralLow();
  return high > kPortLow + 100 ? kPortLow + Math.floor(Math.random() * (high - kPortLow)) : 0;
};

const open = new Set();
// Closes every receiver still listening (a failed test must not keep node alive).
export async function closeAllReceivers() {
  for (const receiver of [...open]) await receiver.close();
}

export async function startReceiver({ port = 0 } = {}) {
  const state = { mode: 'ok', retryAfter: '1', deliveries: [], attempts: [] };
  const sockets = new Set();
  let server;
  const listenOnce = (onPort) => new Promise((resolve, reject) => {
    server = createServer((request, response) => {
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const record = { headers: { ...request.headers }, body, at: Date.now(), mode: state.mode };
        state.attempts.push(record);
        switch (state.mode) {
          case 'ok':
            state.deliveries.push(record);
            response.writeHead(204).end();
            break;
          case 'fail':
            response.writeHead(500, { 'content-type': 'text/plain' }).end('receiver is failing');
            break;
          case 'gone':
            response.writeHead(410).end();
            break;
          case 'throttle':
            response.writeHead(429, { 'retry-after': state.retryAfter }).end();
            break;
          case 'hang':
            break;  // never answers: stockd's timeout must fire
          default:
            response.writeHead(500).end();
        }
      });
    });
    server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
    server.once('error', reject);
    server.listen(onPort, '127.0.0.1', () => resolve(server.address().port));
  });
  // Tries `next()` ports (or the same one again) while they are in use, for up to 10 s.
  const listen = async (next) => {
    const deadline = Date.now() + 10000;
    for (;;) {
      try {
        return await listenOnce(next());
      } catch (error) {
        if (error.code !== 'EADDRINUSE' || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  const boundPort = await listen(() => (port !== 0 ? port : pickPort()));
  const receiver = {
    port: boundPort,
    url: `http://127.0.0.1:${boundPort}/hooks`,
    state,
    set mode(value) { state.mode = value; },
    get deliveries() { return state.deliveries; },
    get attempts() { return state.attempts; },
    events() { return state.deliveries.map((d) => JSON.parse(d.body)); },
    // Stops listening and drops open connections: the receiver is down.
    async down() {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
    async up() { await listen(() => boundPort); },
    async close() { open.delete(receiver); await receiver.down(); },
  };
  open.add(receiver);
  return receiver;
}

// Resolves once `predicate()` holds; fails after `timeoutMs`.
export async function waitFor(predicate, timeoutMs = 15000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
