/** One place to build a backend from a plain (validated) description, e.g. from a config file or the CLI. */
import { z } from 'zod';
import type { TierShape } from '../tiers/config.js';
import { toIssues } from '../tiers/errors.js';
import { StoreConfigError } from './errors.js';
import { FailoverStoreFactory, failoverConfigSchema } from './failoverStore.js';
import { FileStoreFactory, fileStoreConfigSchema } from './fileStore.js';
import { RedisStoreFactory, redisStoreConfigSchema } from './redisStore.js';
import type { StoreFactory } from './types.js';

export const storeSpecSchema = z.discriminatedUnion('backend', [
  z.object({ backend: z.literal('file'), file: fileStoreConfigSchema.default(fileStoreConfigSchema.parse({})) }).strict(),
  z.object({ backend: z.literal('redis'), redis: redisStoreConfigSchema.default(redisStoreConfigSchema.parse({})) }).strict(),
  z.object({ backend: z.literal('failover') }).extend(failoverConfigSchema.shape).strict(),
]);
export type StoreSpec = z.input<typeof storeSpecSchema>;

export function createStoreFactory(spec: StoreSpec, shape: TierShape): StoreFactory {
  const r = storeSpecSchema.safeParse(spec);
  if (!r.success) throw new StoreConfigError(`invalid store spec: ${toIssues(r.error.issues).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const s = r.data;
  switch (s.backend) {
    case 'file':
      return new FileStoreFactory(shape, s.file);
    case 'redis':
      return new RedisStoreFactory(shape, s.redis);
    case 'failover':
      return new FailoverStoreFactory(shape, { redis: s.redis, fallback: s.fallback });
  }
}
