// JSON schemas the routes share: ids, parameters, reasons, and the error every route may answer.
// Every object schema is closed (additionalProperties: false): a field the API does not know,
// such as a `by` naming someone else, is refused rather than ignored.

export const errorSchema = {
  $id: 'ApiError',
  type: 'object',
  description: 'Every error: a stable code, what went wrong, and how to fix it.',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          description: 'stable, for programs: unauthorized, forbidden, not-found, invalid-request, action-refused, …',
        },
        message: { type: 'string', description: 'what went wrong, naming the run, step or field' },
        fix: { type: 'string', description: 'what to do about it' },
      },
    },
  },
} as const;

const errorRef = { $ref: 'ApiError#' } as const;

const errorDescriptions: Record<number, string> = {
  400: 'The request does not match its schema (unknown field, wrong type, bad id).',
  401: 'No bearer token, or one the API does not accept.',
  403: 'The caller lacks the role, or a per-runbook rule does not allow it; the message names what is needed.',
  404: 'No such run, rollout, schedule or runbook.',
  409: 'The run refused the action in its current state (its reason is the message), or the id is taken.',
  413: 'The body is larger than the API accepts.',
  415: 'The body is not JSON.',
  422: 'Understood, but the values do not work: runbook parameters, rollout waves, blast radius.',
  503: 'Temporal did not answer in time (or no worker took the request); try again after Retry-After seconds.',
};

/** The error answers of a route: those every authenticated route has, plus `extra`. */
export function errorResponses(extra: readonly number[] = []): Record<number, object> {
  const codes = [...new Set([400, 401, 403, 503, ...extra])].sort();
  return Object.fromEntries(codes.map((code) => [code, { ...errorRef, description: errorDescriptions[code] }]));
}

export const idPattern = '^[A-Za-z0-9][\\w.:@-]{0,199}$';

export const runIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['runId'],
  properties: { runId: { type: 'string', pattern: idPattern, description: 'the run id (its Temporal workflow id)' } },
} as const;

export const reasonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 2000,
  description: 'why, recorded in the audit trail beside who acted',
} as const;

export const parametersSchema = {
  type: 'object',
  description: 'runbook parameter values by name (secrets cannot be given: they come from Parameter Store)',
  maxProperties: 100,
  propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]{0,99}$' },
  additionalProperties: { type: ['string', 'number', 'boolean'], maxLength: 4096 },
} as const;

/** A JSON object answered as the CLI's --json prints it (documented there; open for additions). */
export function cliJson(description: string) {
  return { type: 'object', additionalProperties: true, description } as const;
}
