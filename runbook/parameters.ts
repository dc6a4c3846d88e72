// Turns the parameter values given to a run (CLI strings or typed TS values) into checked values:
// coerced to their declared type, defaults applied, every constraint enforced. Secrets resolve to
// the Parameter Store name to read at run time, never to a value.
import { closestMatch } from './did-you-mean.js';
import { renderText } from './render.js';
import type { NormalizedRunbook, ParameterDefinition, ParameterValue, ParameterValues } from './types.js';

export type GivenParameterValues = Readonly<Record<string, string | number | boolean>>;

export interface ParameterError {
  parameter: string;
  message: string;
  fix: string;
}

export type ResolveParametersResult = { values: ParameterValues } | { errors: ParameterError[] };

// The SSM agent resolves `{{ssm:name}}` in command text before the shell runs it; a value must
// never smuggle one in (commands are safe by quoting, document parameters are not).
const agentReferencePattern = /\{\{\s*ssm(-secure)?:/i;

type Coerced = { value: string | number | boolean } | { error: Omit<ParameterError, 'parameter'> };

function coerce(definition: Exclude<ParameterDefinition, { type: 'secret' }>, given: string | number | boolean): Coerced {
  switch (definition.type) {
    case 'string':
      return { value: String(given) };
    case 'enum': {
      const text = String(given);
      if (definition.values.includes(text)) return { value: text };
      const near = closestMatch(text, definition.values);
      return {
        error: {
          message: `must be one of ${definition.values.join('|')} (got "${text}")`,
          fix: near !== undefined ? `did you mean ${near}?` : `use one of ${definition.values.join(', ')}`,
        },
      };
    }
    case 'integer': {
      const number = typeof given === 'number' ? given : typeof given === 'string' && /^\s*[-+]?\d+\s*$/.test(given) ? Number(given) : NaN;
      if (Number.isSafeInteger(number)) return { value: number };
      return { error: { message: `must be a whole number (got ${JSON.stringify(given)})`, fix: 'give digits only, such as 17' } };
    }
    case 'boolean': {
      if (typeof given === 'boolean') return { value: given };
      if (given === 'true' || given === 'false') return { value: given === 'true' };
      return { error: { message: `must be true or false (got ${JSON.stringify(given)})`, fix: 'give true or false' } };
    }
  }
}

function checkConstraints(
  definition: ParameterDefinition,
  value: string | number | boolean,
): Omit<ParameterError, 'parameter'> | undefined {
  if (typeof value === 'string' && agentReferencePattern.test(value)) {
    return {
      message: 'contains an SSM Parameter Store reference ({{ssm:…}}), which the SSM agent would resolve on the instance',
      fix: 'pass the plain value; declare a secret parameter to read from Parameter Store',
    };
  }
  if (typeof value === 'string' && value.includes('\0')) {
    return { message: 'contains a NUL character', fix: 'remove it' };
  }
  if (definition.type === 'string' && definition.pattern !== undefined && !new RegExp(definition.pattern, 'u').test(value as string)) {
    return { message: `"${String(value)}" does not match ${definition.pattern}`, fix: 'give a value matching the pattern' };
  }
  if (definition.type === 'integer') {
    const number = value as number;
    if (definition.minimum !== undefined && number < definition.minimum) {
      return { message: `${number} is below the minimum ${definition.minimum}`, fix: `give ${definition.minimum} or more` };
    }
    if (definition.maximum !== undefined && number > definition.maximum) {
      return { message: `${number} is above the maximum ${definition.maximum}`, fix: `give ${definition.maximum} or less` };
    }
  }
  return undefined;
}

/** Checked parameter values for one run, or every problem with the given values. */
export function resolveParameterValues(
  runbook: Pick<NormalizedRunbook, 'parameters'>,
  given: GivenParameterValues,
): ResolveParametersResult {
  const definitions = runbook.parameters;
  const declared = Object.keys(definitions);
  const errors: ParameterError[] = [];
  const values: ParameterValues = {};

  for (const name of Object.keys(given)) {
    if (Object.hasOwn(definitions, name)) continue;
    const near = closestMatch(name, declared);
    errors.push({
      parameter: name,
      message: `unknown parameter "${name}"`,
      fix:
        near !== undefined
          ? `did you mean ${near}?`
          : declared.length > 0
            ? `parameters of this runbook: ${declared.join(', ')}`
            : 'this runbook takes no parameters',
    });
  }

  const secrets: string[] = [];
  for (const [name, definition] of Object.entries(definitions)) {
    const supplied = Object.hasOwn(given, name) ? given[name] : undefined;
    if (definition.type === 'secret') {
      if (supplied !== undefined) {
        errors.push({
          parameter: name,
          message: 'is a secret: its value is read from Parameter Store at run time and cannot be given',
          fix: `store it under ${definition.parameterStore} and leave -p ${name} out`,
        });
      }
      secrets.push(name);
      continue;
    }
    let value: string | number | boolean;
    if (supplied !== undefined) {
      const coerced = coerce(definition, supplied);
      if ('error' in coerced) {
        errors.push({ parameter: name, ...coerced.error });
        continue;
      }
      value = coerced.value;
    } else if (definition.default !== undefined) {
      value = definition.default;
    } else if (!definition.required && definition.type === 'string') {
      value = '';
    } else {
      errors.push({
        parameter: name,
        message: 'is required and was not given',
        fix: `give it with -p ${name}=…${definition.description === undefined ? '' : ` (${definition.description})`}`,
      });
      continue;
    }
    const problem = checkConstraints(definition, value);
    if (problem !== undefined) {
      errors.push({ parameter: name, ...problem });
      continue;
    }
    values[name] = value;
  }
  if (errors.length > 0) return { errors };
  errors.push(...orderingErrors(definitions, values));
  if (errors.length > 0) return { errors };

  // Parameter Store names may use the other (non-secret) values, so they come last.
  for (const name of secrets) {
    const definition = definitions[name] as Extract<ParameterDefinition, { type: 'secret' }>;
    let parameterStore: string;
    try {
      parameterStore = renderText(definition.parameterStore, values);
    } catch (error) {
      errors.push({
        parameter: name,
        message: `its Parameter Store name cannot be rendered: ${(error as Error).message}`,
        fix: 'use only non-secret parameters in parameterStore',
      });
      continue;
    }
    const value: ParameterValue = { secret: true, parameterStore };
    values[name] = value;
  }
  return errors.length > 0 ? { errors } : { values };
}

/** `above: other`: an integer that must be greater than another one (no downgrade). */
function orderingErrors(definitions: Record<string, ParameterDefinition>, values: ParameterValues): ParameterError[] {
  const errors: ParameterError[] = [];
  for (const [name, definition] of Object.entries(definitions)) {
    if (definition.type !== 'integer' || definition.above === undefined) continue;
    const value = values[name];
    const floor = values[definition.above];
    if (typeof value !== 'number' || typeof floor !== 'number' || value > floor) continue;
    errors.push({
      parameter: name,
      message: `${value} must be above ${definition.above} (${floor})`,
      fix: `give ${name} greater than ${floor}, or set ${definition.above} to what the target runs now`,
    });
  }
  return errors;
}
