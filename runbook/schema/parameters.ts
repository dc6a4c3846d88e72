// Runbook parameters: one object per type, so a field that makes no sense for the type is an
// unknown key.
import { z } from 'zod';
import { parameterName, templated } from './field-types.js';

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
    above: parameterName()
      .optional()
      .describe(
        'Must be greater than this other integer parameter, checked before the run starts (e.g. toVersion above fromVersion: no downgrade).',
      ),
  })
  .superRefine((parameter, ctx) => {
    checkRequiredAgainstDefault(parameter, ctx);
    const { minimum, maximum } = parameter;
    if (minimum !== undefined && maximum !== undefined && minimum > maximum) {
      ctx.addIssue({
        code: 'custom',
        path: ['maximum'],
        message: `is below minimum ${minimum}`,
        params: { fix: 'swap minimum and maximum' },
      });
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
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: `lists "${duplicates[0]}" twice`,
        params: { fix: 'remove the duplicate' },
      });
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
  parameterStore: templated('Parameter Store name (SecureString) the value is read from at run time, such as /db/{{ cluster }}/password.'),
});

export const Parameter = z
  .discriminatedUnion('type', [StringParameter, IntegerParameter, BooleanParameter, EnumParameter, SecretParameter])
  .meta({
    id: 'Parameter',
    description:
      'A runbook input, given with `-p name=value`. Types: string, integer, boolean, enum, secret (read from Parameter Store at run time, never stored).',
  });
