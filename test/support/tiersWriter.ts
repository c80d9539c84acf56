/**
 * A writer process for the crash and concurrency tests. Appends messages to one account of
 * a file store and prints `ack <id>` on stdout after each append is durable (stdout is a
 * pipe, written synchronously on Linux, so an ack the parent reads was really printed after
 * the append resolved).
 *
 *   node --import tsx test/support/tiersWriter.ts <root> <account> <tag> <count|0 = until killed> [lanes]
 *
 * `lanes` concurrent append loops exercise group commit.
 */
import { FileStoreFactory } from '../../host/storage/fileStore.js';
import { AccountMemory, extractiveSummariser, parseTierConfig, tierShape } from '../../host/tiers/index.js';

const [root, account, tag, countArg, lanesArg] = process.argv.slice(2);
if (!root || !account || !tag) {
  console.error('usage: tiersWriter <root> <account> <tag> <count> [lanes]');
  process.exit(2);
}
const count = Number(countArg ?? 0);
const lanes = Number(lanesArg ?? 3);
const config = parseTierConfig({ context: { onShortTermFull: false, periodicIntervalMs: 0, topic: { enabled: false } } });
const store = new FileStoreFactory(tierShape(config), { root, snapshotLagMs: 5 }).account(account);
const mem = await AccountMemory.open(store, { config, summariser: extractiveSummariser });
process.stdout.write(`repairs ${store.repairs().map((r) => r.kind).join(',')}\n`);
process.stdout.write('ready\n');

let next = 0;
async function lane(): Promise<void> {
  for (;;) {
    const i = next++;
    if (count > 0 && i >= count) return;
    const id = `${tag}-${i}`;
    await mem.append({ id, role: i % 2 ? 'assistant' : 'user', content: `message ${i} from ${tag}`, metadata: { i } });
    process.stdout.write(`ack ${id}\n`);
  }
}
await Promise.all(Array.from({ length: lanes }, lane));
await mem.close();
process.stdout.write('done\n');
