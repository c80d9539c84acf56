/**
 * Cache throughput of one contender in a process of its own.
 *
 * In one process every policy's calls pass through the same IntelligentCache call sites,
 * so V8 sees them all there (megamorphic) and the garbage of one run lands on the next;
 * lru-cache, a separate class, never shares that cost. A program that uses one policy
 * sees neither, so the throughput goal is measured this way: a child process per
 * contender and key kind, a warm-up replay, then the best of `rounds` replays.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CONTENDERS, type Keyed, replay } from './cacheContenders.js';
import { zipfSequence } from './zipf.js';

export interface ZipfWorkload {
  readonly keys: number;
  readonly length: number;
  readonly capacity: number;
  readonly seed: number;
}

interface Job {
  readonly contender: string;
  readonly kind: 'int' | 'string';
  readonly workload: ZipfWorkload;
  readonly rounds: number;
}

/** The workload's keys: the Zipf sequence, or fresh strings per access as keys from outside would be. */
export function zipfKeys(w: ZipfWorkload, kind: 'int' | 'string'): ArrayLike<Keyed> {
  const ints = zipfSequence({ keys: w.keys, exponent: 0.99, length: w.length, seed: w.seed });
  return kind === 'int' ? ints : Array.from(ints, (k) => `key:${k}`);
}

function bestRate(job: Job): number {
  const c = CONTENDERS.find((x) => x.name === job.contender);
  if (!c) throw new Error(`unknown contender ${job.contender}`);
  const keys = zipfKeys(job.workload, job.kind);
  replay(c, job.workload.capacity, keys); // warm-up (JIT)
  let best = 0;
  for (let r = 0; r < job.rounds; r++) best = Math.max(best, keys.length / replay(c, job.workload.capacity, keys).seconds);
  return best;
}

/** Accesses per second of `contender` alone in a child process. */
export function isolatedThroughput(job: Job): Promise<number> {
  return new Promise((resolve, reject) => {
    // tsx by its resolved path, so the child finds it whatever the working directory.
    const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(job)], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: 'inherit' });
    let rate: number | undefined;
    child.on('message', (m) => {
      rate = (m as { rate: number }).rate;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && rate !== undefined) resolve(rate);
      else reject(new Error(`throughput child for ${job.contender}/${job.kind} exited with ${code}`));
    });
  });
}

// The child: one job from argv, its rate back over IPC.
if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  const job = JSON.parse(process.argv[2]!) as Job;
  process.send({ rate: bestRate(job) }, () => process.exit(0));
}
