import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A CLI subcommand: one module under host/cli/commands/, listed in main.ts. */
export interface Command {
  readonly name: string;
  /** One line for `janela help`. */
  readonly summary: string;
  /** Usage text printed by `janela help <name>` and on a usage error. */
  readonly usage: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** An error whose message is for the user: printed without a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `parseArgs` over a command's argv; what it rejects (unknown or malformed options) is a UsageError. */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
