// Finds the system tools janela drives and installs the missing ones from Debian's
// packages when running as root; otherwise says exactly what to install.
import { execFileSync, spawnSync } from 'node:child_process';

/** Tool → Debian package and why janela needs it. Data, not branches. */
export const SYSTEM_TOOLS = [
  { command: 'verilator', pkg: 'verilator', why: 'simulates the generated Verilog (the simulated board)', required: true },
  { command: 'redis-server', pkg: 'redis-server', why: 'the shared storage backend and its tests', required: true },
];

export function hasCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = () => hasCommand('apt-get');

let aptUpdated = false;
function aptInstall(pkgs) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    aptUpdated = true;
  }
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
}

/**
 * Ensures each tool (all of SYSTEM_TOOLS unless `want` names some) is on PATH.
 * Returns false, after printing what to do, when a required tool is missing and
 * cannot be installed here.
 */
export function ensureSystemTools({ want = [] } = {}) {
  const tools = want.length ? SYSTEM_TOOLS.filter((t) => want.includes(t.command)) : SYSTEM_TOOLS;
  const missing = tools.filter((t) => !hasCommand(t.command));
  if (missing.length === 0) return true;
  const pkgs = missing.map((t) => t.pkg);
  if (isRoot() && hasApt()) {
    console.error(`janela setup: installing ${pkgs.join(', ')} from Debian's packages…`);
    try {
      aptInstall(pkgs);
    } catch (err) {
      console.error(`janela setup: apt-get failed: ${err.message}`);
    }
  }
  let ok = true;
  for (const t of missing.filter((t) => !hasCommand(t.command))) {
    const how = hasApt() ? `sudo apt-get install ${t.pkg}` : `install ${t.pkg} with your system's package manager`;
    console.error(`janela setup: ${t.command} is missing (${t.why}). Install it: ${how}`);
    if (t.required) ok = false;
  }
  return ok;
}
