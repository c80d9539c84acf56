/** The single source of truth shared by the Verilog generator (hdl/) and the host driver (host/). */
export * from './params.js';
export * from './salience.js';
export * from './protocol.js';
export * from './buildId.js';
