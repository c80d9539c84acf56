/**
 * Memory pressure readings: how full the memory this process may use is, 0..1 (and above,
 * when over a limit). Three sources, the highest wins:
 * - the V8 heap: heapUsed / heap_size_limit (a Node process dies at its heap limit);
 * - the cgroup (container) limit, where one is set: v2 `memory.max` / `memory.current`, or v1
 *   `memory.limit_in_bytes` / `memory.usage_in_bytes`, less reclaimable page cache
 *   (`inactive_file`), as container runtimes count the working set;
 * - the machine: 1 − os.freemem() / os.totalmem() when no cgroup limit applies.
 * File access and the other sources are injectable so tests need no real cgroup.
 */
import { readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

export interface PressureReading {
  /** The highest of the sources' ratios. */
  readonly ratio: number;
  /** Which source gave `ratio`. */
  readonly source: 'heap' | 'cgroup-v2' | 'cgroup-v1' | 'system' | 'injected';
  readonly heap: { readonly used: number; readonly limit: number; readonly ratio: number };
  /** The container or machine: used and limit in bytes. */
  readonly memory: {
    readonly source: 'cgroup-v2' | 'cgroup-v1' | 'system';
    readonly used: number;
    readonly limit: number;
    readonly ratio: number;
  };
}

export interface PressureSources {
  /** Reads a file's text, or returns undefined when absent (default: fs). */
  readFile?: (path: string) => string | undefined;
  heap?: () => { used: number; limit: number };
  system?: () => { total: number; free: number };
}

/** Limits this large mean "no limit" (cgroup v1 writes 2^63 − page size). */
const UNLIMITED = 2 ** 60;

function defaultReadFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The `inactive_file` (v2) or `total_inactive_file` (v1) figure of a memory.stat text. */
export function inactiveFile(stat: string | undefined, v1: boolean): number {
  if (stat === undefined) return 0;
  const re = v1 ? /^total_inactive_file\s+(\d+)/m : /^inactive_file\s+(\d+)/m;
  const m = re.exec(stat);
  return m ? Number(m[1]) : 0;
}

/**
 * The cgroup memory limit and usage of this process, or undefined when no finite limit is
 * set. Looks at the process's own cgroup path first, then at the mount's root (containers
 * often mount their own cgroup there).
 */
export function readCgroupMemory(
  readFile: (path: string) => string | undefined = defaultReadFile,
): { source: 'cgroup-v2' | 'cgroup-v1'; used: number; limit: number } | undefined {
  const self = readFile('/proc/self/cgroup') ?? '';
  let v2Path = '/';
  let v1Path = '/';
  for (const line of self.split('\n')) {
    const [, controllers, path] = line.split(':', 3) as [string, string | undefined, string | undefined];
    if (path === undefined) continue;
    if (controllers === '') v2Path = path;
    else if (controllers?.split(',').includes('memory')) v1Path = path;
  }
  const join = (...parts: string[]) => parts.join('/').replace(/\/+/g, '/');
  for (const dir of [join('/sys/fs/cgroup', v2Path), '/sys/fs/cgroup']) {
    const max = readFile(join(dir, 'memory.max'))?.trim();
    const current = readFile(join(dir, 'memory.current'))?.trim();
    if (max === undefined || current === undefined || max === 'max') continue;
    const limit = Number(max);
    if (!(limit > 0) || limit >= UNLIMITED) continue;
    const used = Number(current) - inactiveFile(readFile(join(dir, 'memory.stat')), false);
    return { source: 'cgroup-v2', used: Math.max(0, used), limit };
  }
  for (const dir of [join('/sys/fs/cgroup/memory', v1Path), '/sys/fs/cgroup/memory']) {
    const max = readFile(join(dir, 'memory.limit_in_bytes'))?.trim();
    const usage = readFile(join(dir, 'memory.usage_in_bytes'))?.trim();
    if (max === undefined || usage === undefined) continue;
    const limit = Number(max);
    if (!(limit > 0) || limit >= UNLIMITED) continue;
    const used = Number(usage) - inactiveFile(readFile(join(dir, 'memory.stat')), true);
    return { source: 'cgroup-v1', used: Math.max(0, used), limit };
  }
  return undefined;
}

/** Reads the current memory pressure (see the module comment). */
export function readPressure(sources: PressureSources = {}): PressureReading {
  const h = sources.heap?.() ?? { used: process.memoryUsage().heapUsed, limit: getHeapStatistics().heap_size_limit };
  const heap = { used: h.used, limit: h.limit, ratio: h.limit > 0 ? h.used / h.limit : 0 };
  const sys = sources.system?.() ?? { total: totalmem(), free: freemem() };
  const cg = readCgroupMemory(sources.readFile ?? defaultReadFile);
  // A cgroup limit above the machine's memory does not bind: the machine does.
  const memory =
    cg !== undefined && cg.limit < sys.total
      ? { ...cg, ratio: cg.used / cg.limit }
      : {
          source: 'system' as const,
          used: sys.total - sys.free,
          limit: sys.total,
          ratio: sys.total > 0 ? (sys.total - sys.free) / sys.total : 0,
        };
  const ratio = Math.max(heap.ratio, memory.ratio);
  return { ratio, source: heap.ratio >= memory.ratio ? 'heap' : memory.source, heap, memory };
}
