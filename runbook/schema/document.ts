// The runbook document: version, name, parameters, targets, maintenance window, defaults, steps.
import { z } from 'zod';
import { ApprovalPolicy } from './approval-policy.js';
import { Duration, identifier, parameterName } from './field-types.js';
import { withFix } from './fix-hint.js';
import { Parameter } from './parameters.js';
import { OnFailure, RateControl, Retry } from './step-settings.js';
import { Step } from './steps.js';
import { Targets } from './targets.js';

const API_VERSION = 'ssmflow/v1';

export const MaintenanceWindow = z
  .strictObject({
    cron: z
      .string()
      .min(1)
      .describe('When the window opens: five cron fields (minute hour day-of-month month day-of-week), such as `0 2 * * SAT`.'),
    duration: Duration.describe('How long the window stays open.'),
    timezone: z.string().min(1).describe('IANA time zone the cron is read in, such as UTC or Europe/Berlin.'),
  })
  .meta({ id: 'MaintenanceWindow', description: 'When `disruptive` steps may start.' });

export const Defaults = z
  .strictObject({
    timeout: Duration.optional().describe('Default step timeout (10m).'),
    executionTimeout: Duration.optional().describe('Default executionTimeout (the step timeout).'),
    retry: Retry.optional().describe('Default retry (maxAttempts 1, initialInterval 5s, backoff 2).'),
    onFailure: OnFailure.optional().describe('Default failure policy (pause).'),
    rateControl: RateControl.optional().describe("Default rate control (maxConcurrency '1', maxErrors '0')."),
  })
  .meta({ id: 'Defaults', description: 'Settings every step gets unless it sets its own.' });

export const Runbook = z
  .strictObject({
    apiVersion: z
      .literal(API_VERSION, withFix(`must be "${API_VERSION}"`, `start the file with apiVersion: ${API_VERSION}`))
      .describe('Format version; always ssmflow/v1.'),
    name: identifier().describe('Runbook name, as listed by `ssmflow list`.'),
    description: z.string().optional().describe('What the runbook does, for people.'),
    readOnly: z
      .boolean()
      .optional()
      .describe(
        'True when no step changes the instances (checks, reports): its runs take no target lock, so they run beside a mutating run on the same instances. Default false.',
      ),
    parameters: z.record(parameterName(), Parameter).optional().describe('Inputs, used in strings as {{ name }}.'),
    targets: Targets,
    maintenanceWindow: MaintenanceWindow.optional(),
    defaults: Defaults.optional(),
    approvalPolicy: ApprovalPolicy.optional(),
    steps: z.array(Step).min(1).describe('Steps, run in order.'),
  })
  .superRefine((runbook, ctx) => {
    const seen = new Map<string, number>();
    runbook.steps.forEach((step, index) => {
      const first = seen.get(step.id);
      if (first === undefined) {
        seen.set(step.id, index);
        return;
      }
      ctx.addIssue({
        code: 'custom',
        path: ['steps', index, 'id'],
        message: `"${step.id}" is already the id of steps[${first}]`,
        params: { fix: 'give every step its own id' },
      });
    });
  })
  .meta({
    id: 'Runbook',
    title: 'ssmflow runbook (v1)',
    description: 'A fleet operation as a sequence of AWS SSM Run Command steps, run by ssmflow as a Temporal workflow.',
  });
