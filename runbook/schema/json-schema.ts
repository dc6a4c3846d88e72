// runbook.schema.json, generated from the Runbook schema for editors (completion and checks).
import { z } from 'zod';
import { Runbook } from './document.js';
import { exactlyOneKeysOf } from './exactly-one.js';

export const SCHEMA_ID = 'https://ssmflow.dev/schemas/runbook-v1.json';

/** The JSON schema written to runbook.schema.json (what editors validate and complete with). */
export function runbookJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(Runbook, {
    target: 'draft-2020-12',
    io: 'input',
    override: ({ zodSchema, jsonSchema }) => {
      const exactlyOne = exactlyOneKeysOf(zodSchema as unknown as z.ZodType);
      if (exactlyOne !== undefined) jsonSchema.oneOf = exactlyOne.map((key) => ({ required: [key] }));
    },
  });
  return {
    $schema: generated.$schema,
    $id: SCHEMA_ID,
    title: 'ssmflow runbook (v1)',
    description: 'A runbook for ssmflow: see docs/runbook-format.md.',
    ...generated,
  };
}

/** runbook.schema.json exactly as committed. */
export function runbookJsonSchemaText(): string {
  return `${JSON.stringify(runbookJsonSchema(), null, 2)}\n`;
}
