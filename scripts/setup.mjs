#!/usr/bin/env node
// Makes a fresh machine ready for `npm start`, `npm test` and `npm run bench`:
// npm dependencies (when node_modules is missing or older than package.json) and the
// system tools (Verilator, Redis) through scripts/system-tools.mjs. Node built-ins only,
// because it runs before anything is installed.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function npmDepsStale() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return true;
  const newest = Math.max(
    ...['package.json', 'package-lock.json'].map((f) => (existsSync(join(root, f)) ? statSync(join(root, f)).mtimeMs : 0)),
  );
  return statSync(marker).mtimeMs < newest;
}

if (npmDepsStale()) {
  const lock = existsSync(join(root, 'package-lock.json'));
  console.error(`janela setup: installing npm dependencies (npm ${lock ? 'ci' : 'install'})…`);
  execFileSync('npm', [lock ? 'ci' : 'install', '--no-fund', '--no-audit'], { cwd: root, stdio: 'inherit' });
}

const { ensureSystemTools } = await import('./system-tools.mjs');
const ok = ensureSystemTools({ want: process.argv.slice(2) });
if (!ok) process.exitCode = 1;
