// Steps: the five kinds, what each kind takes, rollback and conditions.
import { z } from 'zod';
import { approvalPolicyFields } from './approval-policy.js';
import { exactlyOneInJsonSchema, requireExactlyOne } from './exactly-one.js';
import { Duration, identifier, parameterName, templated } from './field-types.js';
import { CommandLines, OnFailure, RateControl, Retry } from './step-settings.js';
import { Targets } from './targets.js';

const STEP_KINDS = ['run', 'document', 'waitUntil', 'approval', 'sleep'] as const;

export const DocumentCall = z
  .strictObject({
    name: z.string().min(1).describe('SSM document name, such as AWS-ConfigureAWSPackage or a custom Command document.'),
    parameters: z
      .record(z.string(), z.union([z.string(), z.array(z.string())]))
      .optional()
      .describe('Document parameters; values are plain text (not shell-quoted) and may use {{ parameter }} templates.'),
  })
  .meta({ id: 'DocumentCall', description: 'Runs an SSM Command document.' });

const WaitUntil = z
  .strictObject({
    run: CommandLines.describe('Check command; the wait ends when it exits 0 on every target.'),
    interval: Duration.describe('Pause between checks.'),
    timeout: Duration.describe('Give up (the step fails) when the check has not passed by then.'),
    giveUpExitCode: z
      .int()
      .min(1)
      .max(255)
      .optional()
      .describe(
        'Exit code (1-255) by which the check says waiting is pointless: when it exits with it on any target, the step fails at once (no further checks, no retry), quoting that output. Other non-zero exits keep waiting.',
      ),
  })
  .meta({ id: 'WaitUntil', description: 'Repeats a check command until it exits 0, the timeout passes, or it exits `giveUpExitCode`.' });

const Approval = z
  .strictObject({
    message: templated('What the operator is asked.'),
    timeout: Duration.optional().describe('Fail the step when nobody answers by then (default: wait forever).'),
    showOutputOf: z
      .array(identifier())
      .min(1)
      .max(10)
      .optional()
      .describe(
        'Earlier steps whose last output line (per instance) the approval shows under its message, e.g. a replication lag and a verification result.',
      ),
    ...approvalPolicyFields,
  })
  .meta({
    id: 'Approval',
    description:
      'Waits for an operator to approve (`ssmflow approve`). `approvers`, `minApprovals` and `allowSelfApproval` override the runbook `approvalPolicy` for this step.',
  });

export const Rollback = exactlyOneInJsonSchema(
  requireExactlyOne(
    z.strictObject({
      run: CommandLines.optional().describe('Shell lines that undo the step.'),
      document: DocumentCall.optional().describe('SSM document that undoes the step.'),
    }),
    ['run', 'document'],
    'rollback',
    'keep either `run` or `document`; a document can run shell lines too (AWS-RunShellScript)',
  ).meta({
    id: 'Rollback',
    description:
      'Undoes a completed step when the run rolls back: exactly one of `run` or `document`. Runs on the step targets with ' +
      'its timeout, rate control and working directory.',
  }),
  ['run', 'document'],
);

const StepCondition = z
  .record(parameterName(), z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)]))
  .refine((condition) => Object.keys(condition).length >= 1, { error: 'must name at least one parameter' })
  .meta({
    id: 'StepCondition',
    description:
      'Runs the step only when these parameters have these values (parameters ANDed, a list of values ORed), e.g. `when: { strategy: link }`. ' +
      'Decided once when the run starts; steps left out are not shown or run.',
  });

const COMMAND_STEP_FIELDS = [
  'pointOfNoReturn',
  'timeout',
  'executionTimeout',
  'retry',
  'rateControl',
  'disruptive',
  'workingDirectory',
  'rollback',
  'targets',
] as const;

/** Step fields that only some kinds take; every other field applies to every kind. */
const FIELDS_BY_KIND: Record<(typeof STEP_KINDS)[number], readonly string[]> = {
  run: ['onFailure', ...COMMAND_STEP_FIELDS],
  document: ['onFailure', ...COMMAND_STEP_FIELDS.filter((field) => field !== 'workingDirectory')],
  waitUntil: ['onFailure', ...COMMAND_STEP_FIELDS.filter((field) => field !== 'pointOfNoReturn')],
  approval: ['onFailure'],
  sleep: [],
};
const KIND_SPECIFIC_FIELDS = ['onFailure', ...COMMAND_STEP_FIELDS];

const stepObject = z.strictObject({
  id: identifier().describe('Unique step id, shown in status and used by `ssmflow skip`/`retry`.'),
  description: z.string().optional().describe('What the step does, for people.'),
  run: CommandLines.optional().describe('Shell lines run with AWS-RunShellScript.'),
  document: DocumentCall.optional(),
  waitUntil: WaitUntil.optional(),
  approval: Approval.optional(),
  sleep: Duration.optional().describe('Waits this long.'),
  timeout: Duration.optional().describe('The most one attempt may take, delivery included (run, document, waitUntil: per check).'),
  executionTimeout: Duration.optional().describe(
    'The most the command may run on an instance once started (SSM executionTimeout, up to 48h); defaults to timeout.',
  ),
  retry: Retry.optional(),
  onFailure: OnFailure.optional(),
  rateControl: RateControl.optional(),
  disruptive: z.boolean().optional().describe('Only starts inside the maintenance window; waits for it otherwise.'),
  workingDirectory: templated('Directory the commands run in on the instance.').optional(),
  rollback: Rollback.optional(),
  targets: Targets.optional().describe('Targets of this step instead of the runbook targets.'),
  when: StepCondition.optional(),
  pointOfNoReturn: z
    .literal(true)
    .optional()
    .describe(
      'Once this step has started, what came before can no longer be undone (e.g. a new database cluster started on old data files): ' +
        'the run refuses rollback from then on, a failure pauses for the operator instead of rolling back, and a cancelled run is not rolled back. ' +
        'Put an approval just before it.',
    ),
});

export const Step = exactlyOneInJsonSchema(
  requireExactlyOne(stepObject, STEP_KINDS, 'step', 'split it into one step per kind, each with its own id')
    .superRefine((step: Record<string, unknown>, ctx) => {
      const kind = STEP_KINDS.find((candidate) => step[candidate] !== undefined);
      if (kind === undefined) return;
      for (const field of KIND_SPECIFIC_FIELDS) {
        if (step[field] === undefined || FIELDS_BY_KIND[kind].includes(field)) continue;
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `\`${field}\` does not apply to ${kindArticle(kind)} \`${kind}\` step`,
          params: { fix: fieldFixForKind(field, kind) },
        });
      }
    })
    .meta({
      id: 'Step',
      description: 'One step: exactly one of `run`, `document`, `waitUntil`, `approval`, `sleep`, plus common settings.',
    }),
  STEP_KINDS,
);

function kindArticle(kind: string): string {
  return kind === 'approval' ? 'an' : 'a';
}

function fieldFixForKind(field: string, kind: string): string {
  if (field === 'workingDirectory' && kind === 'document') return 'pass it in document.parameters if the document takes one';
  if (field === 'rollback') return `remove it: ${kindArticle(kind)} \`${kind}\` step changes nothing to undo`;
  if (field === 'timeout' && kind === 'approval') return 'set approval.timeout instead';
  return 'remove it';
}
