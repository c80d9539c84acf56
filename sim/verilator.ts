/**
 * Builds Verilator executables from generated Verilog plus a C++ harness, cached by the
 * hash of everything that goes in (sources, harness, flags, Verilator version), so a
 * second run with the same config starts at once.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where built models live; one folder per build hash. Override with JANELA_CACHE. */
export function cacheRoot(): string {
  return resolve(process.env.JANELA_CACHE ?? join(process.cwd(), '.cache', 'janela'));
}

export class VerilatorMissingError extends Error {
  override readonly name = 'VerilatorMissingError';
  constructor() {
    super("verilator is not installed: run 'npm run setup' as root, or 'sudo apt-get install verilator'");
  }
}

export class VerilatorBuildError extends Error {
  override readonly name = 'VerilatorBuildError';
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(message);
  }
}

let versionPromise: Promise<string> | undefined;
export function verilatorVersion(): Promise<string> {
  versionPromise ??= run('verilator', ['--version']).then(
    (r) => r.stdout.trim(),
    () => {
      throw new VerilatorMissingError();
    },
  );
  return versionPromise;
}

export interface VerilatorBuild {
  /** Names the cache folder and the executable, e.g. 'core-tb'. */
  readonly name: string;
  /** Verilog files by file name → text (written into the build folder). */
  readonly sources: Readonly<Record<string, string>>;
  /** Top module name. */
  readonly top: string;
  /** C++ harness files (absolute paths). */
  readonly harness: readonly string[];
  /** Extra Verilator flags, e.g. ['-GBIT_CYCLES=4'] or ['--trace-fst']. */
  readonly flags?: readonly string[];
  /** Extra C++ flags. */
  readonly cflags?: readonly string[];
}

export interface BuiltModel {
  readonly executable: string;
  readonly dir: string;
  readonly hash: string;
  /** True when this call compiled the model; false when it came from the cache. */
  readonly built: boolean;
}

const inFlight = new Map<string, Promise<BuiltModel>>();

/** Builds (or reuses) the executable; concurrent calls for the same build share one compile. */
export async function buildVerilated(spec: VerilatorBuild): Promise<BuiltModel> {
  const version = await verilatorVersion();
  const harnessTexts = await Promise.all(spec.harness.map((f) => readFile(f, 'utf8')));
  const hash = createHash('sha256')
    .update(JSON.stringify({ version, spec: { ...spec, harness: spec.harness.map((f) => f.split('/').pop()) }, harnessTexts }))
    .digest('hex')
    .slice(0, 16);
  const key = `${spec.name}-${hash}`;
  let p = inFlight.get(key);
  if (!p) {
    p = compile(spec, key, hash).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Serialises builds of one key across processes (test workers, a CLI beside a test), so
 * the second builder finds the first one's executable instead of compiling it again. The
 * lock file holds the builder's pid; a lock left by a killed process is taken over.
 */
async function withBuildLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  await mkdir(cacheRoot(), { recursive: true });
  const lock = join(cacheRoot(), `${key}.lock`);
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await readFile(lock, 'utf8').catch(() => ''));
      if (owner > 0 && !alive(owner)) await rm(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

function compile(spec: VerilatorBuild, key: string, hash: string): Promise<BuiltModel> {
  const dir = join(cacheRoot(), key);
  const executable = join(dir, 'obj', spec.name);
  if (existsSync(executable)) return Promise.resolve({ executable, dir, hash, built: false });
  return withBuildLock(key, async () => {
    if (existsSync(executable)) return { executable, dir, hash, built: false };
    return compileUnlocked(spec, dir, executable, hash);
  });
}

async function compileUnlocked(spec: VerilatorBuild, dir: string, executable: string, hash: string): Promise<BuiltModel> {
  // Build in a private folder and rename at the end, so another process never sees half a build.
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  const files: string[] = [];
  for (const [name, text] of Object.entries(spec.sources)) {
    await writeFile(join(tmp, name), text);
    files.push(join(tmp, name));
  }
  const args = [
    '--cc',
    '--exe',
    '--build',
    '-j',
    '2',
    '-O3',
    '-Wno-fatal',
    '--x-assign',
    'fast',
    '--x-initial',
    'fast',
    '--top-module',
    spec.top,
    '--Mdir',
    join(tmp, 'obj'),
    '-o',
    spec.name,
    '-CFLAGS',
    ['-O2', ...(spec.cflags ?? [])].join(' '),
    ...(spec.flags ?? []),
    ...files,
    ...spec.harness,
  ];
  try {
    await run('verilator', args, { cwd: tmp, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    await rm(tmp, { recursive: true, force: true });
    const log = `${e.stdout ?? ''}\n${e.stderr ?? ''}`;
    throw new VerilatorBuildError(`verilator build of ${spec.name} failed:\n${log.slice(-4000)}`, log);
  }
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return { executable, dir, hash, built: true };
}
