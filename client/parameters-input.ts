// Run parameters from the command line: repeated `-p name=value` and a `--params FILE` (YAML or
// JSON mapping), as parameter-flags.ts defines them. `-p` wins over the file, so a file of
// defaults can be adjusted per run.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CliInputError } from './cli-errors.js';
import type { ParameterFlags } from './parameter-flags.js';

export type GivenParameters = Record<string, string | number | boolean>;

const namePattern = /^[A-Za-z][A-Za-z0-9_]*$/;

/** `name=value` → [name, value]; the value is a string, converted to its declared type later. */
export function parseParameterFlag(raw: string): [string, string] {
  const eq = raw.indexOf('=');
  const name = eq < 0 ? raw : raw.slice(0, eq);
  if (eq < 0) throw new CliInputError(`-p "${raw}": expected name=value`, `write it as -p ${raw || 'name'}=VALUE`);
  if (!namePattern.test(name)) {
    throw new CliInputError(
      `-p "${raw}": "${name}" is not a parameter name`,
      'names start with a letter and contain letters, digits and _ (such as -p toVersion=17)',
    );
  }
  return [name, raw.slice(eq + 1)];
}

function readParameterFile(file: string): GivenParameters {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliInputError(
      `--params ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      'give the path of a YAML or JSON file',
    );
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new CliInputError(
      `--params ${file}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0] ?? ''}`,
      'write a mapping such as "cluster: pg-a" per line',
    );
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new CliInputError(
      `--params ${file}: expected a mapping of parameter name to value, got ${Array.isArray(data) ? 'a list' : typeof data}`,
      'write one "name: value" per line',
    );
  }
  const values: GivenParameters = {};
  for (const [name, value] of Object.entries(data)) {
    if (!namePattern.test(name))
      throw new CliInputError(
        `--params ${file}: "${name}" is not a parameter name`,
        'names start with a letter and contain letters, digits and _',
      );
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new CliInputError(
        `--params ${file}: parameter ${name} must be a string, number or boolean (got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value})`,
        `give ${name} a single value`,
      );
    }
    values[name] = value;
  }
  return values;
}

/** The parameters given on the command line, file first, then each -p in order. */
export function readParameterInput(flags: ParameterFlags): GivenParameters {
  const values: GivenParameters = flags.params ? readParameterFile(flags.params) : {};
  for (const raw of flags.param ?? []) {
    const [name, value] = parseParameterFlag(raw);
    values[name] = value;
  }
  return values;
}
