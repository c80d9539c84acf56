/** `--trace`: the simulator writes a waveform of the whole design. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startSimulator } from '../sim/launcher.js';
import { OPS } from '../spec/index.js';
import { ProtocolClient, frame } from './support/linkProtocolClient.js';

it('writes a VCD in which the board answers a SYNC', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janela-trace-'));
  const file = join(dir, 'board.vcd');
  try {
    const sim = await startSimulator({ trace: file });
    const client = await ProtocolClient.open(sim.path);
    client.send(frame(3, OPS.sync.code));
    expect((await client.receive(1))[0]!.seq).toBe(3);
    await client.close();
    await sim.stop();
    const vcd = await readFile(file, 'utf8');
    expect(vcd).toMatch(/\$var wire\s+1 (\S+) uart_tx \$end/);
    // uart_tx toggles: the answer went out on the traced pin.
    const id = /\$var wire\s+1 (\S+) uart_tx \$end/.exec(vcd)![1]!;
    const changes = vcd.split('\n').filter((l) => l === `0${id}` || l === `1${id}`);
    expect(changes.length).toBeGreaterThan(20);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
