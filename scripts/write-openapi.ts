// Writes docs/openapi.json from the API's route schemas (api/openapi.ts).
// Run: npm run openapi   (a test fails when the committed file differs from what the server serves)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocumentText } from '../api/openapi.js';

const target = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
writeFileSync(target, await openApiDocumentText());
console.log(`wrote ${target}`);
