/**
 * Durable append of text lines: the only write the audit log needs. The file version opens
 * with O_APPEND (mode 0600), writes each append in one write() and fdatasync()s before the
 * promise resolves; appends are serialised.
 */
import { mkdirSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AppendLog {
  /** Appends `text` (whole lines, each ending in '\n'); durable when the promise resolves. */
  append(text: string): Promise<void>;
  /** Everything appended so far. */
  readAll(): Promise<string>;
  /** Cuts the log to `length` bytes (used only to drop a torn last line after a crash). */
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export class MemoryAppendLog implements AppendLog {
  #text = '';
  async append(text: string): Promise<void> {
    this.#text += text;
  }
  async readAll(): Promise<string> {
    return this.#text;
  }
  async truncate(length: number): Promise<void> {
    this.#text = Buffer.from(this.#text).subarray(0, length).toString('utf8');
  }
  async close(): Promise<void> {}
  /** Test hook: replace the content (to simulate tampering). */
  overwrite(text: string): void {
    this.#text = text;
  }
}

export class FileAppendLog implements AppendLog {
  #fh: fsp.FileHandle | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    fh: fsp.FileHandle,
  ) {
    this.#fh = fh;
  }

  static async open(path: string): Promise<FileAppendLog> {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fh = await fsp.open(path, 'a+', 0o600);
    const dir = await fsp.open(dirname(path), 'r');
    try {
      await dir.sync(); // the file's directory entry is durable too
    } finally {
      await dir.close();
    }
    return new FileAppendLog(path, fh);
  }

  append(text: string): Promise<void> {
    const run = this.#queue.then(async () => {
      const fh = this.#handle();
      await fh.write(text);
      await fh.datasync();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async readAll(): Promise<string> {
    await this.#queue;
    return fsp.readFile(this.path, 'utf8');
  }

  truncate(length: number): Promise<void> {
    const run = this.#queue.then(async () => {
      const fh = this.#handle();
      await fh.truncate(length);
      await fh.sync();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.#fh?.close();
    this.#fh = undefined;
  }

  #handle(): fsp.FileHandle {
    if (!this.#fh) throw new Error(`append log ${this.path} is closed`);
    return this.#fh;
  }
}
