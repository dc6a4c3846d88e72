import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runbookJsonSchema, runbookJsonSchemaText, SCHEMA_ID } from '../runbook/schema.js';

describe('runbook.schema.json', () => {
  it('is the committed output of scripts/emit-runbook-schema.ts (run it after changing runbook/schema/)', () => {
    const committed = readFileSync(new URL('../runbook.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(runbookJsonSchemaText());
  });

  it('has an id, a title and descriptions for editors, and no unknown keys', () => {
    const schema = runbookJsonSchema() as {
      $id: string;
      title: string;
      $defs: Record<
        string,
        { description?: string; additionalProperties?: unknown; properties?: Record<string, { description?: string }>; oneOf?: unknown }
      >;
    };
    expect(schema.$id).toBe(SCHEMA_ID);
    expect(schema.title).toBe('ssmflow runbook (v1)');
    const step = schema.$defs.Step!;
    expect(step.additionalProperties).toBe(false);
    expect(step.oneOf).toEqual(['run', 'document', 'waitUntil', 'approval', 'sleep'].map((key) => ({ required: [key] })));
    expect(schema.$defs.Targets!.oneOf).toEqual([{ required: ['tags'] }, { required: ['instanceIds'] }]);
    for (const [name, property] of Object.entries(schema.$defs.Runbook!.properties ?? {})) {
      expect(property.description ?? schema.$defs[name.charAt(0).toUpperCase() + name.slice(1)]?.description, name).toBeTruthy();
    }
  });
});
