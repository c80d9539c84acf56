/** Core config files for the CLI: a JSON object of spec/params.ts fields, read and validated once here. */
import { readFile } from 'node:fs/promises';
import { type CoreConfig, type CoreConfigInput, parseCoreConfig } from '../../spec/index.js';

/** The config file is missing, unreadable or not a JSON object. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
}

/** The file's JSON object, unvalidated (callers merge it over board defaults, or parse it). */
export async function readConfigFile(path: string): Promise<CoreConfigInput> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new ConfigFileError(`cannot read config file ${path}: ${e.code ?? e.message}`);
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigFileError(`config file ${path} is not JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigFileError(`config file ${path} must hold a JSON object of core parameters`);
  }
  return value as CoreConfigInput;
}

/** The validated config of a file (ConfigError names bad fields), or the defaults without one. */
export async function loadConfig(path: string | undefined): Promise<CoreConfig> {
  return parseCoreConfig(path === undefined ? {} : await readConfigFile(path));
}
