// The runbook format v1: the one definition from which the TypeScript types, the validation and
// runbook.schema.json (for editors) all come. Rules that need more than one field (declared
// parameters, maintenance window for disruptive steps, …) live in cross-checks.ts.
import { z } from 'zod';
import { DURATION_EXAMPLES, DURATION_PATTERN, isDuration } from './duration.js';
import { withFix } from './schema/fix-hint.js';
import { PARAMETER_NAME_PATTERN } from './templates.js';

export const API_VERSION = 'ssmflow/v1';
export const SCHEMA_ID = 'https://ssmflow.dev/schemas/runbook-v1.json';

export const IDENTIFIER_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
// SSM SendCommand's own patterns, so a value that passes here is never refused by SSM.
export const MAX_CONCURRENCY_PATTERN = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
export const MAX_ERRORS_PATTERN = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;
const INSTANCE_ID_OR_TEMPLATE_PATTERN = /^((i-(\w{8}|\w{17}))|(mi-\w{17})|(.*\{\{.*\}\}.*))$/;
const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=\-@]+$/u;

export const STEP_KINDS = ['run', 'document', 'waitUntil', 'approval', 'sleep'] as const;
export const ON_FAILURE_VALUES = ['pause', 'rollback', 'abort', 'continue'] as const;
export const PARAMETER_TYPES = ['string', 'integer', 'boolean', 'enum', 'secret'] as const;

/** Object schemas that need exactly one of some keys; the JSON schema gets a matching `oneOf`. */
const EXACTLY_ONE_OF = new Map<z.ZodType, readonly string[]>();

function requireExactlyOne<T extends z.ZodType>(schema: T, keys: readonly string[], what: string, splitFix: string): T {
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
function exactlyOneInJsonSchema<T extends z.ZodType>(schema: T, keys: readonly string[]): T {
  EXACTLY_ONE_OF.set(schema, keys);
  return schema;
}

const identifierMessage = withFix(
  'must be lowercase letters, digits and hyphens, starting with a letter or digit',
  'rename it, for example `drain-node` or `step-2`',
);

const durationMessage = withFix(
  `must be a positive duration such as ${DURATION_EXAMPLES}`,
  `write a number followed by a unit (d, h, m, s, ms), largest unit first: ${DURATION_EXAMPLES}`,
);

const durationRegExp = new RegExp(DURATION_PATTERN);

// Durations are checked twice: the pattern shows up in the JSON schema, the refinement rejects `0s`.
export const Duration = z
  .string()
  .regex(durationRegExp, durationMessage)
  // Only `0s`-style values get here with a valid shape; the regex reports the rest.
  .refine((text) => !durationRegExp.test(text) || isDuration(text), { error: 'must be longer than zero' })
  .meta({ id: 'Duration', description: `A duration: ${DURATION_EXAMPLES}.` });

const templated = (description: string) =>
  z.string().min(1).describe(`${description} May use {{ parameter }} templates.`);

export const CommandLines = z
  .union([z.string().min(1), z.array(z.string()).min(1)])
  .meta({
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

const maxConcurrencyMessage = withFix(
  'must be a count (1, 2, …) or a percentage (1%–100%) as a string',
  "quote it, for example maxConcurrency: '1' or maxConcurrency: '10%'",
);
const maxErrorsMessage = withFix(
  'must be a count (0, 1, …) or a percentage (0%–100%) as a string',
  "quote it, for example maxErrors: '0' or maxErrors: '5%'",
);

export const RateControl = z
  .strictObject({
    maxConcurrency: z
      .string()
      .max(7)
      .regex(MAX_CONCURRENCY_PATTERN, maxConcurrencyMessage)
      .optional()
      .describe("How many targets run the command at once: a count ('1') or a percentage ('10%') of the targets."),
    maxErrors: z
      .string()
      .max(7)
      .regex(MAX_ERRORS_PATTERN, maxErrorsMessage)
      .optional()
      .describe("Failed targets tolerated before SSM stops sending the command: a count ('0') or a percentage ('5%')."),
  })
  .meta({ id: 'RateControl', description: 'SSM rate control for one command across its targets.' });

const tagKeyMessage = withFix(
  'must be a tag key: letters, digits, spaces and _ . : / = - @',
  'use the tag key as it is set on the instances, for example `Cluster`',
);
const instanceIdMessage = withFix(
  'must be an instance id (i-0123456789abcdef0, mi-…) or a {{ parameter }} template',
  'copy the id from the EC2 console or `aws ec2 describe-instances`',
);

export const Targets = exactlyOneInJsonSchema(
  requireExactlyOne(
    z.strictObject({
    tags: z
      .record(
        z.string().max(128).regex(TAG_KEY_PATTERN, tagKeyMessage),
        z.union([templated('Tag value.'), z.array(templated('Tag value.')).min(1).max(50)]),
      )
      .refine((tags) => Object.keys(tags).length >= 1 && Object.keys(tags).length <= 5, {
        error: 'must name 1 to 5 tag keys',
      })
      .optional()
      .describe('Instances carrying all of these tags (keys ANDed, a list of values ORed).'),
    instanceIds: z
      .array(z.string().regex(INSTANCE_ID_OR_TEMPLATE_PATTERN, instanceIdMessage))
      .min(1)
      .max(50)
      .optional()
      .describe('Up to 50 instance ids.'),
    }),
    ['tags', 'instanceIds'],
    'targets',
    'keep either `tags` or `instanceIds`',
  ).meta({ id: 'Targets', description: 'Which instances a command runs on: exactly one of `tags` or `instanceIds`.' }),
  ['tags', 'instanceIds'],
);

export const DocumentCall = z
  .strictObject({
    name: z.string().min(1).describe('SSM document name, such as AWS-ConfigureAWSPackage or a custom Command document.'),
    parameters: z
      .record(z.string(), z.union([z.string(), z.array(z.string())]))
      .optional()
      .describe('Document parameters; values are plain text (not shell-quoted) and may use {{ parameter }} templates.'),
  })
  .meta({ id: 'DocumentCall', description: 'Runs an SSM Command document.' });

export const WaitUntil = z
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

export const Approval = z
  .strictObject({
    message: templated('What the operator is asked.'),
    timeout: Duration.optional().describe('Fail the step when nobody answers by then (default: wait forever).'),
    showOutputOf: z
      .array(z.string().max(63).regex(IDENTIFIER_PATTERN, identifierMessage))
      .min(1)
      .max(10)
      .optional()
      .describe("Earlier steps whose last output line (per instance) the approval shows under its message, e.g. a replication lag and a verification result."),
  })
  .meta({ id: 'Approval', description: 'Waits for an operator to approve (`ssmflow approve`).' });

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

const parameterNameMessage = withFix(
  'must be a parameter name: letters, digits and underscores, starting with a letter',
  'rename it in camelCase, for example `toVersion`',
);

export const StepCondition = z
  .record(
    z.string().regex(new RegExp(PARAMETER_NAME_PATTERN), parameterNameMessage),
    z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)]),
  )
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
export const FIELDS_BY_KIND: Record<(typeof STEP_KINDS)[number], readonly string[]> = {
  run: ['onFailure', ...COMMAND_STEP_FIELDS],
  document: ['onFailure', ...COMMAND_STEP_FIELDS.filter((field) => field !== 'workingDirectory')],
  waitUntil: ['onFailure', ...COMMAND_STEP_FIELDS.filter((field) => field !== 'pointOfNoReturn')],
  approval: ['onFailure'],
  sleep: [],
};
const KIND_SPECIFIC_FIELDS = ['onFailure', ...COMMAND_STEP_FIELDS];

const stepObject = z.strictObject({
  id: z.string().max(63).regex(IDENTIFIER_PATTERN, identifierMessage).describe('Unique step id, shown in status and used by `ssmflow skip`/`retry`.'),
  description: z.string().optional().describe('What the step does, for people.'),
  run: CommandLines.optional().describe('Shell lines run with AWS-RunShellScript.'),
  document: DocumentCall.optional(),
  waitUntil: WaitUntil.optional(),
  approval: Approval.optional(),
  sleep: Duration.optional().describe('Waits this long.'),
  timeout: Duration.optional().describe('The most one attempt may take, delivery included (run, document, waitUntil: per check).'),
  executionTimeout: Duration.optional().describe('The most the command may run on an instance once started (SSM executionTimeout, up to 48h); defaults to timeout.'),
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

// Parameters: one object per type, so a field that makes no sense for the type is an unknown key.
const parameterDescription = z.string().optional().describe('What the parameter means, shown by `ssmflow plan`.');
const parameterRequired = z
  .boolean()
  .optional()
  .describe('A parameter without a default must be given; `required: false` on a string without a default means empty.');

function checkRequiredAgainstDefault(parameter: { required?: boolean | undefined; default?: unknown }, ctx: z.RefinementCtx): void {
  if (parameter.required === true && parameter.default !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['required'],
      message: 'a parameter with a default is never missing, so it cannot be required',
      params: { fix: 'remove `required: true` or remove the default' },
    });
  }
}

const StringParameter = z
  .strictObject({
    type: z.literal('string'),
    description: parameterDescription,
    required: parameterRequired,
    default: z.string().optional(),
    pattern: z.string().optional().describe('Regular expression (JavaScript syntax) every value must match; anchor it with ^…$.'),
  })
  .superRefine((parameter, ctx) => {
    checkRequiredAgainstDefault(parameter, ctx);
    if (parameter.pattern === undefined) return;
    let pattern: RegExp;
    try {
      pattern = new RegExp(parameter.pattern, 'u');
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        path: ['pattern'],
        message: `is not a valid regular expression: ${(error as Error).message}`,
        params: { fix: 'write a JavaScript regular expression, for example ^[a-z0-9-]+$' },
      });
      return;
    }
    if (parameter.default !== undefined && !pattern.test(parameter.default)) {
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: `"${parameter.default}" does not match the parameter's own pattern ${parameter.pattern}`,
        params: { fix: 'change the default or the pattern' },
      });
    }
  });

const IntegerParameter = z
  .strictObject({
    type: z.literal('integer'),
    description: parameterDescription,
    required: parameterRequired,
    default: z.int().optional(),
    minimum: z.int().optional().describe('Smallest allowed value.'),
    maximum: z.int().optional().describe('Largest allowed value.'),
    above: z
      .string()
      .regex(new RegExp(PARAMETER_NAME_PATTERN), parameterNameMessage)
      .optional()
      .describe('Must be greater than this other integer parameter, checked before the run starts (e.g. toVersion above fromVersion: no downgrade).'),
  })
  .superRefine((parameter, ctx) => {
    checkRequiredAgainstDefault(parameter, ctx);
    const { minimum, maximum } = parameter;
    if (minimum !== undefined && maximum !== undefined && minimum > maximum) {
      ctx.addIssue({ code: 'custom', path: ['maximum'], message: `is below minimum ${minimum}`, params: { fix: 'swap minimum and maximum' } });
    }
    if (parameter.default === undefined) return;
    if ((minimum !== undefined && parameter.default < minimum) || (maximum !== undefined && parameter.default > maximum)) {
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: `${parameter.default} is outside the parameter's own range ${minimum ?? '…'}..${maximum ?? '…'}`,
        params: { fix: 'change the default or the range' },
      });
    }
  });

const BooleanParameter = z
  .strictObject({
    type: z.literal('boolean'),
    description: parameterDescription,
    required: parameterRequired,
    default: z.boolean().optional(),
  })
  .superRefine(checkRequiredAgainstDefault);

const EnumParameter = z
  .strictObject({
    type: z.literal('enum'),
    description: parameterDescription,
    required: parameterRequired,
    values: z.array(z.string().min(1)).min(1).describe('The allowed values (strings: quote numbers).'),
    default: z.string().optional(),
  })
  .superRefine((parameter, ctx) => {
    checkRequiredAgainstDefault(parameter, ctx);
    const duplicates = parameter.values.filter((value, index) => parameter.values.indexOf(value) !== index);
    if (duplicates.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `lists "${duplicates[0]}" twice`, params: { fix: 'remove the duplicate' } });
    }
    if (parameter.default !== undefined && !parameter.values.includes(parameter.default)) {
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: `"${parameter.default}" is not one of the parameter's own values ${parameter.values.join('|')}`,
        params: { fix: 'change the default or add it to values' },
      });
    }
  });

const SecretParameter = z.strictObject({
  type: z.literal('secret'),
  description: parameterDescription,
  parameterStore: templated(
    'Parameter Store name (SecureString) the value is read from at run time, such as /db/{{ cluster }}/password.',
  ),
});

export const Parameter = z
  .discriminatedUnion('type', [StringParameter, IntegerParameter, BooleanParameter, EnumParameter, SecretParameter])
  .meta({
    id: 'Parameter',
    description:
      'A runbook input, given with `-p name=value`. Types: string, integer, boolean, enum, secret (read from Parameter Store at run time, never stored).',
  });

export const MaintenanceWindow = z
  .strictObject({
    cron: z.string().min(1).describe('When the window opens: five cron fields (minute hour day-of-month month day-of-week), such as `0 2 * * SAT`.'),
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

const apiVersionMessage = withFix(`must be "${API_VERSION}"`, `start the file with apiVersion: ${API_VERSION}`);

export const Runbook = z
  .strictObject({
    apiVersion: z.literal(API_VERSION, apiVersionMessage).describe('Format version; always ssmflow/v1.'),
    name: z.string().max(63).regex(IDENTIFIER_PATTERN, identifierMessage).describe('Runbook name, as listed by `ssmflow list`.'),
    description: z.string().optional().describe('What the runbook does, for people.'),
    parameters: z
      .record(z.string().regex(new RegExp(PARAMETER_NAME_PATTERN), parameterNameMessage), Parameter)
      .optional()
      .describe('Inputs, used in strings as {{ name }}.'),
    targets: Targets,
    maintenanceWindow: MaintenanceWindow.optional(),
    defaults: Defaults.optional(),
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

/** The JSON schema written to runbook.schema.json (what editors validate and complete with). */
export function runbookJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(Runbook, {
    target: 'draft-2020-12',
    io: 'input',
    override: ({ zodSchema, jsonSchema }) => {
      const exactlyOne = EXACTLY_ONE_OF.get(zodSchema as unknown as z.ZodType);
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
