// Field types that several parts of a runbook share: names, durations, templated text.
import { z } from 'zod';
import { DURATION_EXAMPLES, DURATION_PATTERN, isDuration } from '../duration.js';
import { PARAMETER_NAME_PATTERN } from '../templates.js';
import { withFix } from './fix-hint.js';

const IDENTIFIER_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/** A runbook name or step id. */
export const identifier = () =>
  z
    .string()
    .max(63)
    .regex(
      IDENTIFIER_PATTERN,
      withFix(
        'must be lowercase letters, digits and hyphens, starting with a letter or digit',
        'rename it, for example `drain-node` or `step-2`',
      ),
    );

/** A parameter name, as used in {{ name }} templates. */
export const parameterName = () =>
  z
    .string()
    .regex(
      new RegExp(PARAMETER_NAME_PATTERN),
      withFix(
        'must be a parameter name: letters, digits and underscores, starting with a letter',
        'rename it in camelCase, for example `toVersion`',
      ),
    );

const durationRegExp = new RegExp(DURATION_PATTERN);

// Durations are checked twice: the pattern shows up in the JSON schema, the refinement rejects `0s`.
export const Duration = z
  .string()
  .regex(
    durationRegExp,
    withFix(
      `must be a positive duration such as ${DURATION_EXAMPLES}`,
      `write a number followed by a unit (d, h, m, s, ms), largest unit first: ${DURATION_EXAMPLES}`,
    ),
  )
  // Only `0s`-style values get here with a valid shape; the regex reports the rest.
  .refine((text) => !durationRegExp.test(text) || isDuration(text), { error: 'must be longer than zero' })
  .meta({ id: 'Duration', description: `A duration: ${DURATION_EXAMPLES}.` });

/** Text that may use {{ parameter }} templates. */
export const templated = (description: string) => z.string().min(1).describe(`${description} May use {{ parameter }} templates.`);
