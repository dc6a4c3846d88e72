// Runs: start one (or plan it), list them, read one's status and audit trail. The answers are the
// CLI's --json, built by the same functions.
import { listQuery, listRuns } from '../../client/actions/list.js';
import { readAuditableRun } from '../../client/actions/audit.js';
import { buildPlan } from '../../client/actions/plan.js';
import { launchRun } from '../../client/actions/run.js';
import { checkBlastRadius } from '../../client/blast-radius.js';
import { renderAuditMarkdown } from '../../client/output/audit-markdown.js';
import { auditJson } from '../../client/output/audit-json.js';
import { statusJson } from '../../client/output/status-json.js';
import { refuseEmptyTargets, resolveTargetsForStart } from '../../client/run-targets.js';
import { readRun } from '../../client/run-view.js';
import { resolveParametersOrExplain } from '../../client/runbook-input.js';
import { runStatuses } from '../../workflows/run-state.js';
import { refuseByRunbookRule } from '../authorize.js';
import type { RouteGroup } from '../context.js';
import { cliJson, errorResponses, idPattern, parametersSchema, reasonSchema, runIdParams } from '../schemas.js';

interface StartBody {
  runbook: string;
  parameters?: Record<string, string | number | boolean>;
  reason?: string;
  id?: string;
  dryRun?: boolean;
  waitForLock?: boolean;
  confirm?: number;
}

const startBody = {
  type: 'object',
  additionalProperties: false,
  required: ['runbook'],
  properties: {
    runbook: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,99}$', description: 'a runbook name from GET /v1/runbooks' },
    parameters: parametersSchema,
    reason: reasonSchema,
    id: { type: 'string', pattern: idPattern, description: 'the run id to use (default: <runbook>-<cluster>-<time>-<random>)' },
    dryRun: {
      type: 'boolean',
      description: 'plan only: resolve targets and render commands, start nothing (same JSON as `ssmflow plan --json`)',
    },
    waitForLock: {
      type: 'boolean',
      description: 'queue for the target lock when another run holds an instance, instead of ending lock-refused',
    },
    confirm: {
      type: 'integer',
      minimum: 0,
      description:
        'the exact instance count, required when the run would touch more instances than the blast-radius limit (the plan shows it)',
    },
  },
} as const;

interface ListQuery {
  runbook?: string;
  cluster?: string;
  status?: string;
  limit: number;
}

const listQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    runbook: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,99}$' },
    cluster: { type: 'string', pattern: '^[A-Za-z0-9][\\w.:-]{0,199}$' },
    status: {
      type: 'string',
      pattern: '^[a-z-]+(,[a-z-]+)*$',
      maxLength: 500,
      description: `one or more (comma-separated) of ${runStatuses.join(', ')}`,
    },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
  },
} as const;

export const runRoutes: RouteGroup = (app, { config, connected, catalog }) => {
  app.post<{ Body: StartBody }>(
    '/v1/runs',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['runs'],
        summary: 'Start a run of a catalog runbook (or, with dryRun, show its plan)',
        description:
          'Checks the parameters, resolves the targets through SSM and applies the blast-radius limit, takes the target lock, ' +
          'then starts the run with the caller as its initiator. Plan first with `dryRun: true`: the answer is the plan, ' +
          "nothing is started. Needs the operator role and the runbook's `start` rule, if it has one.",
        body: startBody,
        response: {
          200: cliJson('the plan (dryRun), as `ssmflow plan --json`'),
          201: cliJson('the started run, as `ssmflow run --json`: { runId, runbook, initiator, taskQueue, instanceCount, status }'),
          ...errorResponses([404, 409, 413, 415, 422]),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const runbook = await catalog.runbook(body.runbook);
      const refused = refuseByRunbookRule(request.caller, runbook.name, 'start', config);
      if (refused) throw refused;
      const parameters = body.parameters ?? {};
      const values = resolveParametersOrExplain(runbook, parameters);
      if (body.dryRun) return reply.code(200).send(await buildPlan(runbook, values, { maxTargets: config.maxTargets }));
      const resolved = await resolveTargetsForStart(runbook, values);
      refuseEmptyTargets(resolved, runbook.name);
      checkBlastRadius(
        resolved.instanceIds.length,
        { maxTargets: String(config.maxTargets), ...(body.confirm !== undefined ? { confirm: String(body.confirm) } : {}) },
        `runbook ${runbook.name}`,
      );
      const started = await launchRun(connected, {
        runbook,
        parameters,
        values,
        instanceIds: resolved.instanceIds,
        initiator: request.caller.identity,
        taskQueue: config.taskQueue,
        ...(body.id !== undefined ? { id: body.id } : {}),
        ...(body.reason ? { reason: body.reason } : {}),
        ...(body.waitForLock ? { waitForLock: true } : {}),
        ...(config.outputBucket ? { output: { bucket: config.outputBucket, keyPrefix: config.outputPrefix } } : {}),
        warn: (message) => request.log.warn({ runbook: runbook.name }, message),
      });
      return reply.code(201).send(started);
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/v1/runs',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['runs'],
        summary: 'List runs, newest first, filtered by runbook, cluster and status',
        description: 'The same list as `ssmflow list --json`, from Temporal visibility.',
        querystring: listQuerySchema,
        response: {
          200: { type: 'array', items: cliJson('one run: { runId, runbook, cluster, status, initiator, startedAt, endedAt }') },
          ...errorResponses([422]),
        },
      },
    },
    async (request) => {
      const { limit, ...filters } = request.query;
      return listRuns(connected, listQuery(filters), limit);
    },
  );

  app.get<{ Params: { runId: string } }>(
    '/v1/runs/:runId',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['runs'],
        summary: 'A run step by step: status, failure, what it waits for, and the actions that apply now',
        description: 'The same object as `ssmflow status --json RUN`.',
        params: runIdParams,
        response: { 200: cliJson('the run, as `ssmflow status --json`'), ...errorResponses([404]) },
      },
    },
    async (request) => statusJson(await readRun(connected, request.params.runId)),
  );

  app.get<{ Params: { runId: string }; Querystring: { format?: 'json' | 'markdown' } }>(
    '/v1/runs/:runId/audit',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['runs'],
        summary: 'The audit trail of a run: every command and operator action, who and when',
        description:
          'JSON as `ssmflow audit --json`; with `?format=markdown` (or `Accept: text/markdown`) the Markdown of ' +
          '`ssmflow audit --markdown`, for a change ticket.',
        params: runIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { format: { type: 'string', enum: ['json', 'markdown'] } },
        },
        response: {
          200: {
            description: 'the audit trail',
            content: {
              'application/json': { schema: cliJson('the run with its audit trail, as `ssmflow audit --json`') },
              'text/markdown': { schema: { type: 'string' } },
            },
          },
          ...errorResponses([404, 409]),
        },
      },
    },
    async (request, reply) => {
      const view = await readAuditableRun(connected, request.params.runId);
      const markdown = request.query.format ? request.query.format === 'markdown' : /\btext\/markdown\b/.test(request.headers.accept ?? '');
      if (markdown) return reply.type('text/markdown; charset=utf-8').send(`${renderAuditMarkdown(view)}\n`);
      return reply.type('application/json; charset=utf-8').send(auditJson(view));
    },
  );
};
