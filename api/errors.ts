// Every error the API answers with has one shape: { error: { code, message, fix } }. Bad input is
// a 4xx that says what to change; only the unexpected is a 500, whose details stay in the log.
import {
  isGrpcDeadlineError,
  isGrpcServiceError,
  QueryNotRegisteredError,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { ConfigErrors } from '../core/config.js';
import { CliInputError, CliOperationFailed, NotFoundInputError } from '../client/cli-errors.js';
import { RolloutInputError } from '../client/rollouts.js';
import { OperatorActionRejected, ParameterInputError } from '../client/runs.js';

export interface ErrorBody {
  error: { code: string; message: string; fix?: string };
}

/** An error the API means to answer with (status, code and fix chosen where it is thrown). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fix?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** Not an answer the API meant to give: log it in full. */
  unexpected: boolean;
}

function answer(status: number, code: string, message: string, fix?: string, headers: Record<string, string> = {}): MappedError {
  return { status, body: { error: { code, message, ...(fix ? { fix } : {}) } }, headers, unexpected: false };
}

/** Fastify's own errors (parsing, limits, validation), by their code. */
interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: unknown[];
  validationContext?: string;
  message: string;
}

function fastifyError(err: FastifyLikeError): MappedError | undefined {
  if (err.validation) {
    return answer(
      400,
      'invalid-request',
      `${err.validationContext ?? 'request'}: ${err.message}`,
      'see the request schema in /openapi.json',
    );
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return answer(
        413,
        'body-too-large',
        'the request body is larger than the API accepts',
        'send a smaller body (parameters, not files)',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return answer(415, 'unsupported-media-type', 'the API accepts only JSON bodies', 'send Content-Type: application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return answer(400, 'invalid-request', 'Content-Type is application/json but the body is empty', 'send a JSON object, such as {}');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return answer(400, 'invalid-request', err.message, 'send a well-formed JSON object');
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON')
    return answer(400, 'invalid-json', 'the body is not valid JSON', 'send a well-formed JSON object');
  if (err.code?.startsWith('FST_') && err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return answer(err.statusCode, 'invalid-request', err.message);
  return undefined;
}

/** The answer for any error a handler or Fastify raised. */
export function mapError(err: unknown): MappedError {
  if (err instanceof ApiError) return answer(err.status, err.code, err.message, err.fix, err.headers);
  if (err instanceof NotFoundInputError) return answer(404, 'not-found', err.message, err.fix);
  if (err instanceof OperatorActionRejected)
    return answer(409, 'action-refused', `${err.action} refused: ${err.message}`, `see where it is: GET /v1/runs/${err.runId}`);
  if (err instanceof ParameterInputError)
    return answer(422, 'invalid-parameters', err.message, "see the runbook's parameters in GET /v1/runbooks");
  if (err instanceof RolloutInputError) return answer(422, 'invalid-rollout', err.message, 'see POST /v1/rollouts in /openapi.json');
  if (err instanceof CliInputError) return answer(422, 'invalid-input', err.message, err.fix);
  if (err instanceof ConfigErrors) return answer(422, 'invalid-input', err.message);
  if (err instanceof CliOperationFailed) return answer(409, 'operation-failed', err.message, err.fix);
  if (err instanceof WorkflowNotFoundError)
    return answer(404, 'not-found', `no run or rollout with id "${err.workflowId}"`, 'list runs with GET /v1/runs');
  if (err instanceof QueryNotRegisteredError)
    return answer(
      404,
      'not-found',
      'that id names a workflow of another kind (a run is not a rollout)',
      'use GET /v1/runs/{runId} for runs',
    );
  if (err instanceof WorkflowExecutionAlreadyStartedError)
    return answer(
      409,
      'already-exists',
      `a run with id "${err.workflowId}" already exists`,
      'choose another id, or leave id out for a generated one',
    );
  if (err instanceof ScheduleNotFoundError)
    return answer(404, 'not-found', `no schedule with id "${err.scheduleId}"`, 'list schedules with GET /v1/schedules');
  if (err instanceof ScheduleAlreadyRunning) return answer(409, 'already-exists', `a schedule with id "${err.scheduleId}" already exists`);
  // Temporal did not answer in time or at all: the request may work later; nothing about it was wrong.
  if (
    isGrpcDeadlineError(err) ||
    (isGrpcServiceError(err) && err.code === 14) ||
    (isGrpcServiceError((err as Error).cause) && ((err as Error).cause as { code?: number }).code === 14)
  )
    return answer(503, 'temporal-unavailable', 'Temporal did not answer in time', 'try again shortly; check GET /readyz and the workers', {
      'retry-after': '5',
    });
  const fromFastify = typeof err === 'object' && err !== null && 'message' in err ? fastifyError(err as FastifyLikeError) : undefined;
  if (fromFastify) return fromFastify;
  return {
    ...answer(
      500,
      'internal',
      'the server failed unexpectedly; the details are in its log',
      'try again; if it persists, tell the operators of this API',
    ),
    unexpected: true,
  };
}
