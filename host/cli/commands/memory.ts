/**
 * `janela memory list|show <account>|health <account> [--dir DIR] [--json]`: inspects the
 * conversation tiers kept by the file backend. Read-only: it takes no lock, repairs nothing
 * and writes nothing (a process writing the account meanwhile is not disturbed); what a
 * repairing open would fix is reported as issues.
 */
import { join } from 'node:path';
import { FileAccountStore, FileStoreFactory } from '../../storage/fileStore.js';
import { readIfExists } from '../../storage/fsutil.js';
import { FILES, parseFile, statusFileSchema } from '../../storage/snapshots.js';
import type { HealthEntry } from '../../storage/types.js';
import { accountDirName, checkAccountId } from '../../tiers/accountId.js';
import type { TierShape } from '../../tiers/config.js';
import { DEFAULT_SHAPE, parseTierShape } from '../../tiers/config.js';
import type { Message } from '../../tiers/message.js';
import type { Command } from '../command.js';
import { parseCommandArgs, UsageError } from '../command.js';

const usage = `usage: janela memory list [--dir DIR] [--json]
       janela memory show <account> [--last N] [--dir DIR] [--json]
       janela memory health <account> [--dir DIR] [--json]

Inspects conversation memory kept in files (read-only: no lock, no repair).
  list                 accounts under DIR
  show <account>       counts, the tiers, the history context, the last N messages (default 5)
  health <account>     status of each component and any issues; exit code 1 when there are issues
Options:
  --dir DIR            the memory directory (default: ./memory)
  --json               machine-readable output
  --last N             messages of the whole history to print with show`;

async function recordedShape(dir: string, account: string): Promise<TierShape> {
  const bytes = await readIfExists(join(dir, accountDirName(account), FILES.status));
  if (!bytes) return DEFAULT_SHAPE;
  const r = parseFile(statusFileSchema, bytes);
  if (!r.ok) return DEFAULT_SHAPE;
  try {
    return parseTierShape(r.value.shape);
  } catch {
    return DEFAULT_SHAPE;
  }
}

async function openAccount(dir: string, account: string): Promise<FileAccountStore> {
  checkAccountId(account);
  const store = new FileAccountStore(account, await recordedShape(dir, account), { root: dir, readOnly: true });
  await store.open();
  return store;
}

function line(m: Message): string {
  const text = m.content.replace(/\s+/g, ' ');
  return `  #${m.seq} ${new Date(m.timestamp).toISOString()} ${m.role}: ${text.length > 100 ? `${text.slice(0, 99)}…` : text}`;
}

function printHealth(entries: readonly HealthEntry[]): void {
  for (const e of entries) {
    console.log(`${e.component.padEnd(16)} ${e.status.padEnd(12)} checked ${e.last_check}`);
    for (const i of e.issues) console.log(`    - ${i}`);
  }
}

export const memoryCommand: Command = {
  name: 'memory',
  summary: 'inspect conversation memory tiers in files (list, show, health)',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: 'string', default: 'memory' },
        json: { type: 'boolean', default: false },
        last: { type: 'string', default: '5' },
      },
    });
    const [sub, account, ...extra] = positionals;
    const dir = values.dir!;
    const json = values.json!;
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    switch (sub) {
      case 'list': {
        if (account !== undefined) throw new UsageError('list takes no account');
        const accounts = await new FileStoreFactory(DEFAULT_SHAPE, { root: dir, readOnly: true }).listAccounts();
        if (json) console.log(JSON.stringify({ dir, accounts }, null, 2));
        else if (accounts.length === 0) console.log(`no accounts under ${dir}`);
        else for (const a of accounts) console.log(a);
        return 0;
      }
      case 'show': {
        if (!account) throw new UsageError('show needs an account');
        const last = Number(values.last);
        if (!Number.isInteger(last) || last < 0 || last > 10_000) throw new UsageError('--last must be an integer 0..10000');
        const store = await openAccount(dir, account);
        try {
          const [short, mid, counts, context, status, history] = await Promise.all([
            store.shortTerm(),
            store.midTerm(),
            store.counts(),
            store.getContext(),
            store.status(),
            last > 0 ? store.history({ limit: last }) : Promise.resolve([]),
          ]);
          if (json) {
            console.log(
              JSON.stringify(
                { account, dir: store.dir, shape: store.shape, counts, short_term: short, mid_term: mid, history_context: context, last: history, status, repairs: [...store.pastRepairs(), ...store.repairs()] },
                null,
                2,
              ),
            );
            return 0;
          }
          console.log(`account ${account}  (${store.dir})`);
          console.log(`whole history: ${counts.messageCount} messages, last seq ${counts.lastSeq}`);
          console.log(`short-term: ${short.length}/${store.shape.shortTerm}   mid-term: ${mid.length}/${store.shape.midTerm}`);
          console.log(`history context: ${context.summaries.length} summaries, covering through seq ${context.coveredThrough}`);
          for (const s of context.summaries) {
            console.log(`  [${s.fromSeq}–${s.toSeq}, ${s.trigger}, level ${s.level}] ${s.text.replace(/\s+/g, ' ').slice(0, 160)}`);
          }
          if (history.length > 0) {
            console.log(`last ${history.length} messages:`);
            for (const m of history) console.log(line(m));
          }
          const notes = [...store.pastRepairs(), ...store.repairs()];
          if (notes.length > 0) {
            console.log('repairs and findings:');
            for (const r of notes) console.log(`  ${r.at} ${r.component} ${r.kind}: ${r.detail}`);
          }
          return 0;
        } finally {
          await store.close();
        }
      }
      case 'health': {
        if (!account) throw new UsageError('health needs an account');
        const store = await openAccount(dir, account);
        try {
          const entries = await store.health();
          const healthy = entries.every((e) => e.status === 'active' && e.issues.length === 0);
          if (json) console.log(JSON.stringify({ account, healthy, components: entries }, null, 2));
          else {
            console.log(`account ${account}: ${healthy ? 'healthy' : 'issues found'}`);
            printHealth(entries);
          }
          return healthy ? 0 : 1;
        } finally {
          await store.close();
        }
      }
      case undefined:
        throw new UsageError('missing subcommand');
      default:
        throw new UsageError(`unknown subcommand '${sub}'`);
    }
  },
};

export default memoryCommand;
