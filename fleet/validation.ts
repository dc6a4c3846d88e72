import { SsmError } from './errors.js';

/**
 * Collects model-constraint violations and reports them the way the SSM service does:
 * `1 validation error detected: Value 'X' at 'member' failed to satisfy constraint: ...`.
 * The SDK never checks these client-side, so the fleet must.
 */
export class ConstraintCheck {
  private readonly violations: string[] = [];

  private add(value: unknown, member: string, constraint: string): void {
    const shown = Array.isArray(value) ? `[${value.map(String).join(', ')}]` : String(value);
    this.violations.push(`Value '${shown}' at '${member}' failed to satisfy constraint: ${constraint}`);
  }

  length(value: string | undefined, member: string, min: number, max: number): this {
    if (value === undefined) return this;
    if (value.length < min) this.add(value, member, `Member must have length greater than or equal to ${min}`);
    else if (value.length > max) this.add(value, member, `Member must have length less than or equal to ${max}`);
    return this;
  }

  pattern(value: string | undefined, member: string, pattern: RegExp, shown: string = pattern.source): this {
    if (value !== undefined && !pattern.test(value)) {
      this.add(value, member, `Member must satisfy regular expression pattern: ${shown}`);
    }
    return this;
  }

  range(value: number | undefined, member: string, min: number, max: number): this {
    if (value === undefined) return this;
    if (value < min) this.add(value, member, `Member must have value greater than or equal to ${min}`);
    else if (value > max) this.add(value, member, `Member must have value less than or equal to ${max}`);
    return this;
  }

  count(value: readonly unknown[] | undefined, member: string, min: number, max: number): this {
    if (value === undefined) return this;
    if (value.length < min) this.add(value, member, `Member must have length greater than or equal to ${min}`);
    else if (value.length > max) this.add(value, member, `Member must have length less than or equal to ${max}`);
    return this;
  }

  /** Every list member must match; reported once for the whole list, as the service does. */
  eachPattern(values: readonly string[] | undefined, member: string, pattern: RegExp, shown: string = pattern.source): this {
    if (values?.some((v) => !pattern.test(v))) {
      this.add(values, member, `Member must satisfy constraint: [Member must satisfy regular expression pattern: ${shown}]`);
    }
    return this;
  }

  oneOf(value: string | undefined, member: string, allowed: readonly string[]): this {
    if (value !== undefined && !allowed.includes(value)) {
      this.add(value, member, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
    }
    return this;
  }

  required(value: unknown, member: string): this {
    if (value === undefined || value === null) {
      this.violations.push(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
    }
    return this;
  }

  /** Throws ValidationException if anything was violated. */
  done(): void {
    const n = this.violations.length;
    if (n === 0) return;
    const head = n === 1 ? '1 validation error detected: ' : `${n} validation errors detected: `;
    throw new SsmError('ValidationException', head + this.violations.join('; '));
  }
}

export const INSTANCE_ID_PATTERN = /(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)/;
export const INSTANCE_ID_PATTERN_TEXT = '(^i-(\\w{8}|\\w{17})$)|(^mi-\\w{17}$)';

/** Reads an optional field of a JSON request body with a type check (malformed input is a SerializationException). */
export function field<T>(
  body: Record<string, unknown>,
  name: string,
  kind: 'string' | 'number' | 'boolean' | 'array' | 'object',
): T | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  const ok =
    kind === 'array'
      ? Array.isArray(value)
      : kind === 'object'
        ? typeof value === 'object' && !Array.isArray(value)
        : typeof value === kind;
  if (!ok) throw new SsmError('SerializationException', `Unexpected value type for field ${name}`);
  return value as T;
}
