import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type ParameterConfig } from './config.js';
import { FLEET_ACCOUNT_ID, SsmError } from './errors.js';
import { readJsonIfExists, writeJsonAtomicSync } from './persistence.js';

export type ParameterType = 'String' | 'StringList' | 'SecureString';

interface ParameterVersion {
  version: number;
  type: ParameterType;
  value: string;
  lastModified: number;
  description?: string;
}

export interface ResolvedParameter {
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  lastModified: number;
  selector?: string;
}

const NAME_PROBLEM =
  'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

/** Parameter Store: String, StringList and SecureString parameters with versions, persisted under the state dir. */
export class ParameterStore {
  private readonly params: Record<string, ParameterVersion[]>;
  private readonly file: string;

  constructor(
    stateDir: string,
    seed: readonly ParameterConfig[],
    private readonly region: string,
  ) {
    this.file = join(stateDir, 'parameters.json');
    this.params = readJsonIfExists<Record<string, ParameterVersion[]>>(this.file) ?? {};
    // Config parameters seed the store; values changed through PutParameter survive a restart.
    let changed = false;
    for (const p of seed) {
      if (!this.params[p.name]) {
        this.params[p.name] = [{ version: 1, type: p.type, value: p.value, lastModified: Date.now() }];
        changed = true;
      }
    }
    if (changed) this.save();
  }

  private save(): void {
    writeJsonAtomicSync(this.file, this.params);
  }

  arn(name: string): string {
    return `arn:aws:ssm:${this.region}:${FLEET_ACCOUNT_ID}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  }

  /** Strips an ARN down to the parameter name. */
  private nameFromArn(name: string): string {
    const m = /^arn:aws[\w-]*:ssm:[^:]*:\d*:parameter(\/.*)$/.exec(name);
    if (!m?.[1]) return name;
    // `parameter/x` names a root-level parameter `x`; `parameter/a/b` names `/a/b`.
    return this.params[m[1]] ? m[1] : m[1].slice(1);
  }

  static validateName(name: string): void {
    if (/^\s*(aws|ssm)/i.test(name) || !/^[\w.\-/]+$/.test(name) || (name.includes('/') && !name.startsWith('/')) || name.includes('//')) {
      throw new SsmError('ValidationException', NAME_PROBLEM);
    }
  }

  put(input: { name: string; value: string; type?: ParameterType; overwrite?: boolean; description?: string }): { version: number } {
    const name = input.name.trim();
    ParameterStore.validateName(name);
    const versions = this.params[name];
    const latest = versions?.at(-1);
    if (latest && !input.overwrite) {
      throw new SsmError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const type = input.type ?? latest?.type;
    if (!type) throw new SsmError('ValidationException', 'A parameter type is required when you create a parameter.');
    if (type === 'StringList' && /(^|,)\s*(,|$)/.test(input.value)) {
      throw new SsmError('ValidationException', 'Parameter value of type StringList cannot contain empty list elements.');
    }
    const version = (latest?.version ?? 0) + 1;
    const entry: ParameterVersion = { version, type, value: input.value, lastModified: Date.now() };
    const description = input.description ?? latest?.description;
    if (description !== undefined) entry.description = description;
    this.params[name] = [...(versions ?? []), entry];
    this.save();
    return { version };
  }

  /** Looks up `name`, `name:version` or an ARN; undefined when absent. */
  find(reference: string): ResolvedParameter | undefined {
    const trimmed = reference.trim();
    const asName = this.nameFromArn(trimmed);
    const m = /^(.*?):(\d+)$/.exec(asName);
    const name = m?.[1] ?? asName;
    const versions = this.params[name];
    if (!versions) return undefined;
    const entry = m ? versions.find((v) => v.version === Number(m[2])) : versions.at(-1);
    if (!entry) {
      throw new SsmError(
        'ParameterVersionNotFound',
        `Systems Manager could not find version ${m?.[2]} of ${name}. Verify the version and try again.`,
      );
    }
    return {
      name,
      type: entry.type,
      value: entry.value,
      version: entry.version,
      lastModified: entry.lastModified,
      ...(m ? { selector: `:${m[2]}` } : {}),
    };
  }

  get(reference: string): ResolvedParameter {
    if (/\S\s+\S/.test(reference.trim())) {
      throw new SsmError('ValidationException', `Parameter name: can't contain spaces.`);
    }
    const found = this.find(reference);
    if (!found) throw new SsmError('ParameterNotFound', '');
    return found;
  }

  /**
   * The value as the API returns it: SecureString without decryption yields an opaque
   * KMS-ciphertext-looking blob derived from (name, version), never the plaintext.
   */
  static visibleValue(p: ResolvedParameter, withDecryption: boolean): string {
    if (p.type !== 'SecureString' || withDecryption) return p.value;
    const digest = createHash('sha256').update(`${p.name}\u0000${p.version}\u0000${p.value}`).digest();
    return 'AQICAHh' + Buffer.concat([digest, createHash('sha256').update(digest).digest()]).toString('base64');
  }
}
