export * from './errors.js';
export * from './merge.js';
export * from './graph.js';
export * from './stateManager.js';
