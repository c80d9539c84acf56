/**
 * Byte transports under the link client: a serial port (a real tty or the simulator's pty),
 * or the in-process virtual board (LinkEngine).
 */
import type { SerialPort } from 'serialport';
import { LinkEngine, type LinkEngineOptions } from '../model/linkEngine.js';
import { VirtualClock, realClock, type Clock } from './clock.js';
import { PortClosedError } from './errors.js';

export interface Transport {
  /** Queues bytes for the line; failures surface through onClose. */
  write(bytes: Uint8Array): void;
  /** Registers the receiver of incoming bytes (one listener). */
  onData(listener: (bytes: Uint8Array) => void): void;
  /** Registers the listener told when the line goes away for good. */
  onClose(listener: (error: Error) => void): void;
  close(): Promise<void>;
  readonly clock: Clock;
  /** Short human description, for errors and stats. */
  readonly description: string;
}

/** Opens a tty by path through serialport (SerialPort.list() is not needed and not used). */
export async function openSerialTransport(path: string, baudRate: number): Promise<Transport> {
  const { SerialPort } = await import('serialport');
  const port: SerialPort = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  // One close for every caller: a second close() waits for the first, so that when any of
  // them resolves the port is really closed and its lock released (a reopen may follow).
  let closing: Promise<void> | undefined;
  let closeListener: (error: Error) => void = () => {};
  port.on('close', () => closeListener(new PortClosedError(`${path} was closed`)));
  port.on('error', (e: Error) => closeListener(new PortClosedError(`${path}: ${e.message}`)));
  return {
    clock: realClock,
    description: path,
    write(bytes) {
      if (closing === undefined) port.write(Buffer.from(bytes));
    },
    onData(listener) {
      port.on('data', (chunk: Buffer) => listener(new Uint8Array(chunk)));
    },
    onClose(listener) {
      closeListener = listener;
    },
    close() {
      closing ??= (async () => {
        if (!port.isOpen) return;
        await new Promise<void>((resolve) => port.drain(() => resolve()));
        await new Promise<void>((resolve) => port.close(() => resolve()));
      })();
      return closing;
    },
  };
}

export interface ModelTransport extends Transport {
  readonly engine: LinkEngine;
  /** Puts bytes on the line towards the host, as if the board had sent them (tests). */
  injectToHost(bytes: Uint8Array): void;
}

/**
 * The virtual board in-process. Writes made in one turn of the event loop arrive at the board
 * together (one burst), then the line goes idle; answers arrive in a later turn.
 */
export function openModelTransport(options: LinkEngineOptions = {}): ModelTransport {
  const engine = new LinkEngine(options);
  let burst: Uint8Array[] = [];
  let pending = 0;
  let closed = false;
  let dataListener: (bytes: Uint8Array) => void = () => {};
  const clock = new VirtualClock(() => pending > 0);

  const toHost = (bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    pending += 1;
    setImmediate(() => {
      pending -= 1;
      if (!closed) dataListener(bytes);
      clock.kick();
    });
  };
  const deliverBurst = () => {
    const bytes = Buffer.concat(burst);
    burst = [];
    pending -= 1;
    if (closed) return;
    toHost(Buffer.concat([engine.receive(bytes), engine.idle()]));
    clock.kick();
  };

  return {
    engine,
    clock,
    description: 'model',
    write(bytes) {
      if (closed) return;
      if (burst.length === 0) {
        pending += 1;
        setImmediate(deliverBurst);
      }
      burst.push(bytes.slice());
    },
    injectToHost: toHost,
    onData(listener) {
      dataListener = listener;
    },
    onClose() {},
    async close() {
      closed = true;
    },
  };
}
