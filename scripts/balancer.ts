/**
 * A small TCP (layer 4) load balancer for the cluster mode: one address in front of several
 * Temporal frontends (gRPC over HTTP/2) or several API processes, so that clients keep the single
 * address the embedded default uses. Connections go round-robin to the backends; a backend that
 * refuses a connection is skipped for a few seconds and the connection is tried on the next one,
 * so losing a node costs the clients a reconnect, not an error. In production this is the job of
 * the platform's load balancer (a Kubernetes Service, haproxy, an NLB); this one has no
 * dependencies so that `scripts/cluster.sh` runs anywhere Node runs.
 *
 *   tsx scripts/balancer.ts 127.0.0.1:7233 127.0.0.1:7301 127.0.0.1:7401
 */
import net from 'node:net';

const QUARANTINE_MS = 3_000;
const CONNECT_TIMEOUT_MS = 2_000;

type Backend = { host: string; port: number; downUntil: number };

function parseAddress(text: string): { host: string; port: number } {
  const at = text.lastIndexOf(':');
  const port = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) throw new Error(`not host:port: ${text}`);
  return { host: text.slice(0, at), port };
}

function log(msg: string, extra: Record<string, unknown> = {}) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), component: 'balancer', msg, ...extra }) + '\n');
}

export function startBalancer(listen: string, backendAddresses: string[]): net.Server {
  const backends: Backend[] = backendAddresses.map((a) => ({ ...parseAddress(a), downUntil: 0 }));
  let next = 0;

  /** Backends in round-robin order, the ones not known to be down first. */
  const order = (): Backend[] => {
    const start = next++ % backends.length;
    const rotated = [...backends.slice(start), ...backends.slice(0, start)];
    const now = Date.now();
    return [...rotated.filter((b) => b.downUntil <= now), ...rotated.filter((b) => b.downUntil > now)];
  };

  const server = net.createServer((client) => {
    client.pause();
    client.on('error', () => client.destroy());
    const candidates = order();
    const attempt = (i: number) => {
      if (i >= candidates.length || client.destroyed) {
        client.destroy();
        return;
      }
      const b = candidates[i];
      const upstream = net.connect({ host: b.host, port: b.port });
      upstream.setTimeout(CONNECT_TIMEOUT_MS);
      const fail = (err?: Error) => {
        upstream.destroy();
        if (b.downUntil <= Date.now()) log('backend down', { backend: `${b.host}:${b.port}`, error: err?.message ?? 'timeout' });
        b.downUntil = Date.now() + QUARANTINE_MS;
        attempt(i + 1);
      };
      upstream.once('error', fail);
      upstream.once('timeout', fail);
      upstream.once('connect', () => {
        upstream.removeListener('error', fail);
        upstream.removeListener('timeout', fail);
        upstream.setTimeout(0);
        upstream.setNoDelay(true);
        client.setNoDelay(true);
        b.downUntil = 0;
        upstream.on('error', () => client.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  const { host, port } = parseAddress(listen);
  server.listen(port, host, () => log('listening', { listen, backends: backendAddresses }));
  return server;
}

if (require.main === module) {
  const [listen, ...backends] = process.argv.slice(2);
  if (!listen || backends.length === 0) {
    console.error('usage: tsx scripts/balancer.ts LISTEN_HOST:PORT BACKEND_HOST:PORT...');
    process.exit(2);
  }
  const server = startBalancer(listen, backends);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
