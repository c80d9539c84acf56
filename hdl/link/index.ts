/** The serial link's gateware: every block's Verilog file, for one config. */
import type { CoreConfig } from '../../spec/index.js';
import type { VerilogFile } from '../verilog.js';
import { generateBram } from './bram.js';
import { generateCrc } from './crc.js';
import { generateEngine } from './engine.js';
import { generateFrameRx } from './frameRx.js';
import { generateLeds } from './leds.js';
import { linkParams, type LinkParams } from './params.js';
import { generateSequencer } from './sequencer.js';
import { generateTxScheduler } from './txScheduler.js';
import { generateUartRx } from './uartRx.js';
import { generateUartTx } from './uartTx.js';

export { LINK_MODULE } from './engine.js';
export { LEDS_MODULE } from './leds.js';
export * from './params.js';

/** The link's files in dependency order (leaves first). Throws ConfigError for an unreachable baud. */
export function generateLink(config: CoreConfig, options: { bitCycles?: number } = {}): VerilogFile[] {
  const params: LinkParams = linkParams(config, options);
  return [
    generateUartRx(params.bitCycles),
    generateUartTx(params.bitCycles),
    generateCrc(),
    generateBram(),
    generateFrameRx(),
    generateSequencer(params.ring),
    generateTxScheduler(params.ring),
    generateEngine(params),
    generateLeds(config),
  ];
}
