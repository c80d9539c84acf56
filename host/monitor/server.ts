/**
 * A tiny HTTP server for Prometheus: GET /metrics (the exposition text), GET /healthz (200
 * while the memory is open). Binds to 127.0.0.1 by default: metrics describe what an agent
 * remembers, and are not for the network unless the caller says so.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { parseInput } from '../memory/errors.js';
import type { Memory } from '../memory/memory.js';
import type { MemoryMonitor } from './prometheus.js';

export const serveOptionsSchema = z
  .object({
    /** 0 picks a free port. */
    port: z.number().int().min(0).max(65535),
    host: z.string().min(1).default('127.0.0.1'),
  })
  .strict();
export type ServeOptions = z.input<typeof serveOptionsSchema>;

export interface MetricsServer {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function serveMetrics(memory: Memory, monitor: MemoryMonitor, options: ServeOptions): Promise<MetricsServer> {
  const o = parseInput('serveMetrics', serveOptionsSchema, options);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      monitor.metrics().then(
        (text) => res.writeHead(200, { 'content-type': monitor.contentType }).end(req.method === 'HEAD' ? undefined : text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error)?.message ?? String(err)}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      const ok = !memory.closed;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'closed\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
