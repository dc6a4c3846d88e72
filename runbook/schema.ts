// The runbook format v1: the one definition from which the TypeScript types, the validation and
// runbook.schema.json (for editors) all come; this file is its public face. The parts live in
// schema/ by concern. Rules that need more than one field (declared parameters, maintenance
// window for disruptive steps, …) live in cross-checks.ts.
import type { z } from 'zod';
import type { Defaults, MaintenanceWindow, Runbook } from './schema/document.js';
import type { Parameter } from './schema/parameters.js';
import type { RateControl, Retry } from './schema/step-settings.js';
import type { DocumentCall, Rollback, Step } from './schema/steps.js';
import type { Targets } from './schema/targets.js';

export { Runbook } from './schema/document.js';
export { runbookJsonSchema, runbookJsonSchemaText, SCHEMA_ID } from './schema/json-schema.js';

export type Runbook = z.infer<typeof Runbook>;
export type Step = z.infer<typeof Step>;
export type Parameter = z.infer<typeof Parameter>;
export type Targets = z.infer<typeof Targets>;
export type Retry = z.infer<typeof Retry>;
export type RateControl = z.infer<typeof RateControl>;
export type Rollback = z.infer<typeof Rollback>;
export type DocumentCall = z.infer<typeof DocumentCall>;
export type MaintenanceWindow = z.infer<typeof MaintenanceWindow>;
export type Defaults = z.infer<typeof Defaults>;
