/** Conversation messages as the context layer accepts them (validated with zod at every entry point). */
import { z } from 'zod';

/** Roles a conversation message may have; the system prompt is set per session, not appended. */
export const MESSAGE_ROLES = ['user', 'assistant', 'tool'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

export const MAX_MESSAGE_CHARS = 1_000_000;

export const messageSchema = z
  .object({
    role: z.enum(MESSAGE_ROLES),
    content: z.string().max(MAX_MESSAGE_CHARS),
    /** Speaker name (ChatML renders it in place of the role). */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'name: 1–64 of [A-Za-z0-9_-]')
      .optional(),
    /** Caller's id for the message, carried through to the fold sink. */
    id: z.string().min(1).max(256).optional(),
  })
  .strict();

export type Message = z.output<typeof messageSchema>;

/** A message in a rendered window: the system prompt has role 'system'. */
export interface WindowMessage {
  readonly role: MessageRole | 'system';
  readonly content: string;
  readonly name?: string;
  readonly id?: string;
}
