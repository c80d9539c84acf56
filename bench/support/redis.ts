/**
 * A real redis-server for tests: on a free loopback port, with its data in a temp dir,
 * append-only file fsynced on every write (as the storage docs recommend). stop()/start()
 * keep the port and the data (a restart), kill() is a crash (SIGKILL), cleanup() stops it
 * and removes the dir. Every server started here is also killed when the test process exits.
 *
 * redis-server comes from Debian's package (scripts/system-tools.mjs installs it).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly running: boolean;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM; the server flushes its append-only file). */
  stop(): Promise<void>;
  /** A crash: SIGKILL. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** Stops it and deletes its data dir. */
  cleanup(): Promise<void>;
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
// Whatever happens to the tests, no server outlives this process and no data dir is left.
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export function redisServerPath(): string {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) {
    throw new Error('redis-server is not installed: run `node scripts/setup.mjs redis-server` (or apt-get install redis-server)');
  }
  return path;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** PING over a raw socket until +PONG, or the deadline. */
async function waitReady(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port });
      let buf = '';
      s.setTimeout(500, () => (s.destroy(), resolve(false)));
      s.on('error', () => resolve(false));
      s.on('connect', () => s.write('PING\r\n'));
      s.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('\r\n')) {
          s.destroy();
          resolve(buf.startsWith('+PONG'));
        }
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server on port ${port} not ready after ${timeoutMs} ms`);
}

export async function startRedis(options: { appendfsync?: 'always' | 'everysec' | 'no' } = {}): Promise<RedisServer> {
  const bin = redisServerPath();
  const dir = mkdtempSync(join(tmpdir(), 'janela-redis-'));
  dirs.add(dir);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    if (child) return;
    const c = spawn(
      bin,
      [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--dir', dir,
        '--appendonly', 'yes',
        '--appendfsync', options.appendfsync ?? 'always',
        '--save', '',
        '--daemonize', 'no',
        '--protected-mode', 'yes',
        '--logfile', '',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    c.stdout?.on('data', (d) => (log = (log + d.toString()).slice(-4000)));
    c.stderr?.on('data', (d) => (log = (log + d.toString()).slice(-4000)));
    live.add(c);
    c.once('exit', () => live.delete(c));
    child = c;
    try {
      await waitReady(port, c, 10_000);
    } catch (err) {
      c.kill('SIGKILL');
      child = undefined;
      throw new Error(`${(err as Error).message}\n${log}`);
    }
  };

  const halt = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c) return;
    child = undefined;
    if (c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  };

  await start();
  const server: RedisServer = {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get running() {
      return child !== undefined;
    },
    start,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      await start();
    },
    cleanup: async () => {
      await halt('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
  return server;
}
