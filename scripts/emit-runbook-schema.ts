// Writes runbook.schema.json (for editors) from runbook/schema.ts (parts in runbook/schema/),
// the one definition of the format.
// Run: npx tsx scripts/emit-runbook-schema.ts   (a test fails when the committed file is stale)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runbookJsonSchemaText } from '../runbook/schema.js';

const target = fileURLToPath(new URL('../runbook.schema.json', import.meta.url));
writeFileSync(target, runbookJsonSchemaText());
console.log(`wrote ${target}`);
