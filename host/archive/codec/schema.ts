/** The self-described schema of a block: named, typed fields besides the timestamp. */
import { z } from 'zod';

export const FIELD_TYPES = ['float', 'int', 'category'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** A value in a record: numbers for float and int fields, strings for categories, null when absent. */
export type Value = number | string | null;

export const FIELD_NAME = /^[\p{L}\p{N}_.:/-]{1,128}$/u;

export const fieldSpecSchema = z
  .object({
    name: z.string().regex(FIELD_NAME, 'field names are 1–128 letters, digits or _ . : / -'),
    type: z.enum(FIELD_TYPES),
    /** Declared precision (float fields only): decoded values may differ by at most this much. Lossless when absent. */
    maxError: z.number().positive().finite().optional(),
  })
  .strict()
  .refine((f) => f.maxError === undefined || f.type === 'float', {
    message: 'maxError (declared precision) applies to float fields only',
    path: ['maxError'],
  });

export type FieldSpec = z.output<typeof fieldSpecSchema>;

export const schemaSchema = z
  .array(fieldSpecSchema)
  .max(1024)
  .refine((fs) => new Set(fs.map((f) => f.name)).size === fs.length, { message: 'field names must be unique' });

export const TYPE_CODE: Readonly<Record<FieldType, number>> = { float: 0, int: 1, category: 2 };
export const CODE_TYPE: readonly FieldType[] = ['float', 'int', 'category'];
