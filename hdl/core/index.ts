/**
 * The working-memory core's generator: one Verilog module per hardware block, top
 * module janela_core. The config is validated first; a bad one throws ConfigError and
 * nothing is generated.
 */
import { parseCoreConfig, type CoreConfig } from '../../spec/index.js';
import type { VerilogFile } from '../verilog.js';
import { generateContentStore } from './contentStore.js';
import { generateController } from './controller.js';
import { generateResponse } from './response.js';
import { generateScorer } from './salienceScorer.js';
import { MODULES, coreShape, type CoreOptions } from './shape.js';
import { generateWindowBank } from './windowBank.js';

export { MODULES, type CoreOptions } from './shape.js';
export { HELPERS, PROPERTIES, proofLabels, type PropertyDef } from './properties.js';

export const CORE_TOP = MODULES.core;

/** Every file of the core, leaves first, the top (janela_core) last. Same config → same bytes. */
export function generateCore(config: CoreConfig, options: CoreOptions = {}): VerilogFile[] {
  const shape = coreShape(parseCoreConfig(config), options);
  return [
    generateWindowBank(shape),
    generateScorer(shape.config),
    generateContentStore(shape),
    generateResponse(shape.config),
    generateController(shape),
  ];
}
