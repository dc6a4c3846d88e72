// "Exactly one of these keys" for object schemas: a refinement for validation and a matching
// `oneOf` for the JSON schema (zod cannot express the latter itself).
import type { z } from 'zod';

const EXACTLY_ONE_OF = new Map<z.ZodType, readonly string[]>();

export function requireExactlyOne<T extends z.ZodType>(schema: T, keys: readonly string[], what: string, splitFix: string): T {
  return schema.superRefine((value, ctx) => {
    const record = value as Record<string, unknown>;
    const present = keys.filter((key) => record[key] !== undefined);
    if (present.length === 1) return;
    const list = keys.map((key) => `\`${key}\``).join(', ');
    ctx.addIssue({
      code: 'custom',
      message:
        present.length === 0
          ? `${what} needs exactly one of ${list}`
          : `${what} has ${present.map((key) => `\`${key}\``).join(' and ')}; it needs exactly one of ${list}`,
      params: { fix: present.length === 0 ? `add one of ${list}` : splitFix },
    });
  });
}

/** Registers the final (described) schema so the JSON schema says "exactly one of" too. */
export function exactlyOneInJsonSchema<T extends z.ZodType>(schema: T, keys: readonly string[]): T {
  EXACTLY_ONE_OF.set(schema, keys);
  return schema;
}

/** The keys of which `schema` needs exactly one, when it was registered. */
export function exactlyOneKeysOf(schema: z.ZodType): readonly string[] | undefined {
  return EXACTLY_ONE_OF.get(schema);
}
