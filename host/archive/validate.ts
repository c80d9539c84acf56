/** zod parsing that throws ArchiveInputError naming each bad field. */
import type { z } from 'zod';
import { ArchiveInputError } from './errors.js';

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    throw new ArchiveInputError(
      what,
      r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  }
  return r.data;
}
