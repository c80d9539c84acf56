/**
 * `janela serve --metrics-port N [--config FILE] [--dir DIR] [--device sim|model|PATH]
 * [--host HOST]`: opens a memory and exposes its Prometheus metrics at
 * http://127.0.0.1:N/metrics (and /healthz) until SIGINT or SIGTERM, then closes the server
 * and the memory cleanly (everything durable is flushed) and exits 0.
 */
import { deviceFromArg, openMemory, type MemoryConfigInput } from '../../memory/index.js';
import { createMonitor, serveMetrics } from '../../monitor/index.js';
import type { Command } from '../command.js';
import { parseCommandArgs, UsageError } from '../command.js';

const usage = `usage: janela serve --metrics-port N [--config FILE] [--dir DIR] [--device sim|model|PATH] [--host HOST]

Opens the memory and serves its Prometheus metrics on http://HOST:N/metrics (HOST default
127.0.0.1; N = 0 picks a free port) until SIGINT or SIGTERM; then closes cleanly.
  --config FILE   a JSON memory config (docs/memory.md)
  --dir DIR       the memory directory (default: the config's, else ./memory)
  --device D      the windows device (default: the config's, else the model)`;

export const serve: Command = {
  name: 'serve',
  summary: 'open a memory and serve its Prometheus metrics on 127.0.0.1',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseCommandArgs({
      args: argv,
      allowPositionals: false,
      options: {
        'metrics-port': { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        config: { type: 'string' },
        dir: { type: 'string' },
        device: { type: 'string' },
      },
    });
    const portText = values['metrics-port'];
    if (portText === undefined) throw new UsageError('--metrics-port is required');
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--metrics-port must be a port number 0..65535, got '${portText}'`);
    const over: MemoryConfigInput = {
      ...(values.dir !== undefined && { dir: values.dir }),
      ...(values.device !== undefined && { device: deviceFromArg(values.device) }),
    };

    // Signals that arrive while the memory opens are honoured once it is open.
    let stop!: (signal: string) => void;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) process.exit(130); // a second Ctrl-C does not wait for the clean close
      stop(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const memory = await openMemory({ ...over, ...(values.config !== undefined && { configFile: values.config }) });
      const monitor = createMonitor(memory);
      let server;
      try {
        server = await serveMetrics(memory, monitor, { port, host: values.host! });
      } catch (err) {
        monitor.close();
        await memory.close();
        throw err;
      }
      console.log(`janela serve: metrics at ${server.url} (memory at ${memory.storage.where}, device ${memory.deviceKind}); Ctrl-C to stop`);
      const signal = await stopped;
      console.log(`janela serve: ${signal}: closing`);
      await server.close();
      monitor.close();
      await memory.close();
      console.log('janela serve: closed');
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
