/** Monitoring of a Memory: Prometheus metrics (prom-client) and a /metrics endpoint. */
export { createMonitor, monitorOptionsSchema, type MemoryMonitor, type MonitorOptions } from './prometheus.js';
export { serveMetrics, serveOptionsSchema, type MetricsServer, type ServeOptions } from './server.js';
