/** The iCE40 build and flash flow; see docs/boards.md. */
export * from './errors.js';
export * from './pcf.js';
export * from './shell.js';
export * from './fit.js';
export * from './report.js';
export { synthesize, type SynthOptions, type SynthResult } from './synth.js';
export { placeAndRoute, pack, nextpnrArgs } from './pnr.js';
export { buildBoard, defaultOutDir, type BuildOptions, type BuildResult } from './flow.js';
export { gateLevelNetlist, GATE_LEVEL_VERILATOR_FLAGS, type GateLevelNetlist } from './gateLevel.js';
export { flash, usbAttached, which, type FlashOptions, type FlashResult } from './flash.js';
export { cellsSimPath, toolVersions, PACKAGE_VERSIONS } from './tools.js';
