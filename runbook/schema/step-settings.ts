// Settings a step shares with the runbook defaults: commands, failure policy, retry, rate control.
import { z } from 'zod';
import { Duration } from './field-types.js';
import { withFix } from './fix-hint.js';

// SSM SendCommand's own patterns, so a value that passes here is never refused by SSM.
const MAX_CONCURRENCY_PATTERN = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
const MAX_ERRORS_PATTERN = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;

const ON_FAILURE_VALUES = ['pause', 'rollback', 'abort', 'continue'] as const;

export const CommandLines = z.union([z.string().min(1), z.array(z.string()).min(1)]).meta({
  id: 'CommandLines',
  description:
    'Shell lines run with `sh` by AWS-RunShellScript: one string (may be a multi-line block) or a list of lines. ' +
    '{{ parameter }} values are shell-quoted where they land.',
});

export const OnFailure = z.enum(ON_FAILURE_VALUES).meta({
  id: 'OnFailure',
  description:
    'What happens when the step fails after its retries: `pause` waits for an operator (retry, skip, roll back, abort), ' +
    '`rollback` runs the rollback of every completed step in reverse order, `abort` ends the run as failed without ' +
    'rolling back, `continue` records the failure and goes on with the next step.',
});

export const Retry = z
  .strictObject({
    maxAttempts: z.int().min(1).max(100).optional().describe('Attempts in all, the first included (1 = no retry).'),
    initialInterval: Duration.optional().describe('Wait before the second attempt.'),
    backoff: z.number().min(1).max(10).optional().describe('Each wait is the previous one times this.'),
    maximumInterval: Duration.optional().describe('Upper bound of the wait between attempts.'),
  })
  .meta({ id: 'Retry', description: 'Retries of a failed attempt, before onFailure applies.' });

export const RateControl = z
  .strictObject({
    maxConcurrency: z
      .string()
      .max(7)
      .regex(
        MAX_CONCURRENCY_PATTERN,
        withFix(
          'must be a count (1, 2, …) or a percentage (1%–100%) as a string',
          "quote it, for example maxConcurrency: '1' or maxConcurrency: '10%'",
        ),
      )
      .optional()
      .describe("How many targets run the command at once: a count ('1') or a percentage ('10%') of the targets."),
    maxErrors: z
      .string()
      .max(7)
      .regex(
        MAX_ERRORS_PATTERN,
        withFix(
          'must be a count (0, 1, …) or a percentage (0%–100%) as a string',
          "quote it, for example maxErrors: '0' or maxErrors: '5%'",
        ),
      )
      .optional()
      .describe("Failed targets tolerated before SSM stops sending the command: a count ('0') or a percentage ('5%')."),
  })
  .meta({ id: 'RateControl', description: 'SSM rate control for one command across its targets.' });
