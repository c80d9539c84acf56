/**
 * `janela stats [--json] [--config FILE] [--dir DIR] [--device sim|model|PATH]`: opens the
 * memory read-only (tiers not locked, nothing written) and prints what it holds: accounts and
 * their tiers, archives and their compression, the components of the global memory threshold.
 * The windows and link figures are those of the device this command opened (default: the
 * in-process model); for a running memory's live figures use `janela serve` and /metrics.
 */
import { deviceFromArg, openMemory, type MemoryConfigInput, type MemoryStats } from '../../memory/index.js';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../command.js';

const usage = `usage: janela stats [--json] [--config FILE] [--dir DIR] [--device sim|model|PATH]

Prints what a memory holds: accounts and their tiers, archives and their compression, and the
bytes of every component of the global memory threshold. Read-only.
  --config FILE   a JSON memory config (docs/memory.md)
  --dir DIR       the memory directory (default: the config's, else ./memory)
  --device D      the windows device to open (default: the config's, else the model)
  --json          machine-readable output`;

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

function print(s: MemoryStats, where: string): void {
  console.log(`memory at ${where}`);
  console.log('');
  console.log(`accounts: ${s.accounts.stored ?? 0}`);
  if (s.accounts.details && s.accounts.details.length > 0) {
    console.log(
      table([
        ['account', 'messages', 'short-term', 'mid-term', 'summaries', 'covered through'],
        ...s.accounts.details.map((a) => [a.id, String(a.messages), String(a.shortTerm), String(a.midTerm), String(a.summaries), String(a.coveredThrough)]),
      ]),
    );
  }
  const a = s.archives;
  console.log('');
  console.log('archives:');
  console.log(
    table([
      ['archive', 'records', 'stored', 'compression'],
      ['metrics', `${a.metrics.archivedRecords} archived + ${a.metrics.bufferRecords} buffered`, formatBytes(a.metrics.storedBytes), `${a.metrics.compressionRatio.toFixed(1)}×`],
      ['states', `${a.states.versions} (${a.states.hot} hot, ${a.states.warm} warm, ${a.states.cold} cold)`, formatBytes(a.states.storedBytes), `${a.states.compressionRatio.toFixed(1)}×`],
      [
        'emotions',
        `${a.emotions.active} active, ${a.emotions.recent} recent, ${a.emotions.archived} archived`,
        formatBytes(a.emotions.storedBytes),
        `${a.emotions.archivedCompressionRatio.toFixed(1)}× archived, ${a.emotions.recentCompressionRatio.toFixed(1)}× recent`,
      ],
    ]),
  );
  if (a.problems > 0) console.log(`  ${a.problems} corrupt block(s) or snapshot(s) reported`);
  console.log('');
  console.log(`memory threshold: ${formatBytes(s.budget.totalBytes)} of ${formatBytes(s.budget.thresholdBytes)} (cleanup frees down to ${formatBytes(s.budget.targetBytes)})`);
  console.log(table([['component', 'kind', 'bytes'], ...s.budget.components.map((c) => [c.name, c.kind, formatBytes(c.bytes)])]));
  console.log('');
  console.log(`device (${s.device.kind}): ${s.device.open} windows open, ${s.device.items} items; link: ${s.device.link.requests} requests, ${s.device.link.retransmissions} retransmissions, ${s.device.link.crcErrors} CRC errors`);
  console.log(`access: principal ${s.access.principal}, ${s.access.enforced ? 'grants enforced' : 'trusted (no grants configured)'}, audit ${s.access.audit}`);
}

export const stats: Command = {
  name: 'stats',
  summary: 'print what a memory holds: tiers, archives, memory per component',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseCommandArgs({
      args: argv,
      allowPositionals: false,
      options: {
        json: { type: 'boolean', default: false },
        config: { type: 'string' },
        dir: { type: 'string' },
        device: { type: 'string' },
      },
    });
    const over: MemoryConfigInput = {
      ...(values.dir !== undefined && { dir: values.dir }),
      ...(values.device !== undefined && { device: deviceFromArg(values.device) }),
      ...(values.config === undefined && values.device === undefined && { device: { model: true } }),
    };
    const memory = await openMemory({ ...over, ...(values.config !== undefined && { configFile: values.config }), readOnly: true, budget: { checkIntervalMs: 0 } });
    try {
      const s = await memory.stats({ accounts: true });
      if (values.json) console.log(JSON.stringify({ where: memory.storage.where, ...s }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
      else print(s, memory.storage.where);
    } finally {
      await memory.close();
    }
    return 0;
  },
};
