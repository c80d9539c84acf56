/**
 * A virtual board behind a real pseudo-terminal, so the `{ path }` target (serialport on a
 * tty) is tested without hardware or the simulator: a small Python relay owns the pty and
 * pipes its bytes to a LinkEngine in this process.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { LinkEngine, type LinkEngineOptions } from '../../host/model/linkEngine.js';

const RELAY = `
import os, pty, select, sys, tty
master, slave = pty.openpty()
tty.setraw(slave)
sys.stdout.write(os.ttyname(slave) + "\\n"); sys.stdout.flush()
out, inp = sys.stdout.buffer.fileno(), sys.stdin.buffer.fileno()
while True:
    ready, _, _ = select.select([master, inp], [], [])
    if master in ready:
        data = os.read(master, 4096)
        if data: os.write(out, data)
    if inp in ready:
        data = os.read(inp, 4096)
        if not data: break
        os.write(master, data)
`;

/** Line idle time after which the virtual board drops a partial frame (receiver rule 4). */
const IDLE_MS = 5;

export function ptyAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import pty, tty'], { stdio: 'ignore' }).status === 0;
}

export interface PtyBoard {
  readonly path: string;
  readonly engine: LinkEngine;
  stop(): Promise<void>;
}

export async function startPtyBoard(options: LinkEngineOptions = {}): Promise<PtyBoard> {
  const engine = new LinkEngine(options);
  const relay: ChildProcessWithoutNullStreams = spawn('python3', ['-u', '-c', RELAY], { stdio: ['pipe', 'pipe', 'pipe'] });
  let header = Buffer.alloc(0);
  let idleTimer: NodeJS.Timeout | undefined;
  const send = (bytes: Uint8Array) => {
    if (bytes.length > 0 && !relay.stdin.destroyed) relay.stdin.write(bytes);
  };
  const path = await new Promise<string>((resolve, reject) => {
    relay.once('error', reject);
    relay.once('exit', (code) => reject(new Error(`pty relay exited (${code})`)));
    const onData = (chunk: Buffer) => {
      header = Buffer.concat([header, chunk]);
      const nl = header.indexOf(10);
      if (nl < 0) return;
      relay.stdout.off('data', onData);
      relay.stdout.on('data', (bytes: Buffer) => {
        send(engine.receive(bytes));
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => send(engine.idle()), IDLE_MS);
      });
      resolve(header.subarray(0, nl).toString());
    };
    relay.stdout.on('data', onData);
  });
  return {
    path,
    engine,
    async stop() {
      clearTimeout(idleTimer);
      if (relay.exitCode !== null) return;
      const exited = new Promise((r) => relay.once('exit', r));
      relay.kill();
      await exited;
    },
  };
}
