/**
 * The targets the device API suite runs over: the in-process virtual board, the virtual
 * board behind a real pty (serialport on a tty path), and the Verilator simulator.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openDevice, type DeviceOptions, type WindowsDevice } from '../../host/device/index.js';
import { parseCoreConfig, type CoreConfigInput } from '../../spec/index.js';
import { ptyAvailable, startPtyBoard, type PtyBoard } from './devicePty.js';

export interface DeviceTargetCase {
  readonly name: string;
  /** Undefined when the target can run here; otherwise why its suite is skipped. */
  prepare(config: CoreConfigInput): Promise<string | undefined>;
  /** A device built from `config`; options.config (default: config) is what the host expects. */
  open(config: CoreConfigInput, options?: DeviceOptions): Promise<WindowsDevice>;
  /** Stops whatever open() started. */
  cleanup(): Promise<void>;
}

const LAUNCHER = fileURLToPath(new URL('../../sim/launcher.ts', import.meta.url));

export const modelTarget: DeviceTargetCase = {
  name: 'model',
  prepare: async () => undefined,
  open: (config, options = {}) => openDevice({ model: true, config }, { config, ...options }),
  cleanup: async () => {},
};

function ptyTarget(): DeviceTargetCase {
  const boards: PtyBoard[] = [];
  return {
    name: 'pty (serialport on a tty)',
    prepare: async () => (ptyAvailable() ? undefined : 'python3 with the pty module is needed to make a pseudo-terminal'),
    async open(config, options = {}) {
      const board = await startPtyBoard({ config });
      boards.push(board);
      return openDevice({ path: board.path, baudRate: parseCoreConfig(config).baud }, { config, ...options });
    },
    async cleanup() {
      await Promise.all(boards.splice(0).map((b) => b.stop()));
    },
  };
}

function simTarget(): DeviceTargetCase {
  let unavailable: string | undefined;
  return {
    name: 'sim (Verilator)',
    async prepare(config) {
      if (!existsSync(LAUNCHER)) return (unavailable = 'sim/launcher.ts does not exist yet');
      // Start one simulator up front: it builds (or finds cached) the Verilator model for this config.
      const { startSimulator } = await import('../../sim/launcher.js');
      try {
        const sim = await startSimulator({ config });
        await sim.stop();
      } catch (e) {
        // Only the launcher placeholder is skipped; a real launcher that fails fails the suite.
        if (e instanceof Error && /not implemented yet/.test(e.message)) return (unavailable = `sim/launcher.ts is still a placeholder (${e.message})`);
        throw e;
      }
      return undefined;
    },
    async open(config, options = {}) {
      if (unavailable) throw new Error(unavailable);
      return openDevice({ sim: true, config }, { config, ...options });
    },
    cleanup: async () => {},
  };
}

export function deviceTargets(): DeviceTargetCase[] {
  return [modelTarget, ptyTarget(), simTarget()];
}
