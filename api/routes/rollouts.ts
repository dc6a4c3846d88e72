// Rollouts: one runbook across many clusters in waves. Start one, read it, approve its next wave,
// pause and resume it. The caller is the initiator and the `by` of every action.
import { rolloutStartedJson } from '../../client/actions/rollout.js';
import { rolloutControls, startRollout } from '../../client/rollouts.js';
import { refuseByRunbookRule } from '../authorize.js';
import type { RouteGroup } from '../context.js';
import { cliJson, errorResponses, idPattern, parametersSchema, reasonSchema } from '../schemas.js';

interface StartBody {
  runbook: string;
  clusters: string[];
  parameters?: Record<string, string | number | boolean>;
  clusterParameter?: string;
  waves?: string;
  maxInFlight?: number;
  errorBudget?: string;
  approveWaves?: boolean;
  reason?: string;
  id?: string;
}

interface ActBody {
  reason?: string;
  errorBudget?: string;
}

const rolloutIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['rolloutId'],
  properties: { rolloutId: { type: 'string', pattern: idPattern } },
} as const;

const errorBudgetSchema = {
  type: 'string',
  pattern: '^\\d{1,6}%?$',
  description: 'failed clusters tolerated before the rollout halts: a count ("2") or a share ("5%")',
} as const;

const stateAnswer = cliJson('the rollout, as `ssmflow rollout status --json`');

export const rolloutRoutes: RouteGroup = (app, { config, connected, catalog }) => {
  app.post<{ Body: StartBody }>(
    '/v1/rollouts',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['rollouts'],
        summary: 'Start a rollout: one catalog runbook across clusters, in waves, with an error budget',
        description:
          "One run per cluster (the runbook's cluster parameter receives each name), in cumulative waves, at most maxInFlight " +
          "at once. Needs the operator role and the runbook's `start` rule, if it has one.",
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['runbook', 'clusters'],
          properties: {
            runbook: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,99}$' },
            clusters: {
              type: 'array',
              minItems: 1,
              maxItems: 2000,
              uniqueItems: true,
              items: { type: 'string', pattern: '^[A-Za-z0-9][\\w.:-]{0,199}$' },
              description: 'the clusters, in order: the first ones form the canary',
            },
            parameters: parametersSchema,
            clusterParameter: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,99}$', default: 'cluster' },
            waves: {
              type: 'string',
              pattern: '^\\s*\\d{1,6}%?\\s*(,\\s*\\d{1,6}%?\\s*){0,19}$',
              default: '1,10%,50%,100%',
              description: 'cumulative wave sizes: counts or percentages of all clusters',
            },
            maxInFlight: { type: 'integer', minimum: 1, maximum: 1000, default: 5 },
            errorBudget: { ...errorBudgetSchema, default: '0' },
            approveWaves: { type: 'boolean', default: false, description: 'wait for POST …/approve before each wave after the first' },
            reason: reasonSchema,
            id: { type: 'string', pattern: idPattern, description: 'the rollout id (default rollout-<runbook>-<time>)' },
          },
        },
        response: { 201: cliJson('{ rolloutId, runbook, clusters, status }'), ...errorResponses([404, 409, 413, 415, 422]) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const runbook = await catalog.runbook(body.runbook);
      const refused = refuseByRunbookRule(request.caller, runbook.name, 'start', config);
      if (refused) throw refused;
      const handle = await startRollout(connected.client, {
        runbook,
        clusters: body.clusters,
        clusterParameter: body.clusterParameter ?? 'cluster',
        parameters: body.parameters ?? {},
        waves: (body.waves ?? '1,10%,50%,100%').split(',').map((w) => w.trim()),
        maxInFlight: body.maxInFlight ?? 5,
        errorBudget: body.errorBudget ?? '0',
        approvalBetweenWaves: body.approveWaves ?? false,
        initiator: request.caller.identity,
        taskQueue: config.taskQueue,
        ...(body.reason ? { reason: body.reason } : {}),
        ...(body.id ? { rolloutId: body.id } : {}),
        ...(config.outputBucket ? { output: { bucket: config.outputBucket, keyPrefix: config.outputPrefix } } : {}),
      });
      return reply.code(201).send(rolloutStartedJson(handle.workflowId, runbook.name, { clusters: body.clusters }));
    },
  );

  app.get<{ Params: { rolloutId: string } }>(
    '/v1/rollouts/:rolloutId',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['rollouts'],
        summary: 'A rollout: its waves, each cluster run, the error budget and what it waits for',
        params: rolloutIdParams,
        response: { 200: stateAnswer, ...errorResponses([404]) },
      },
    },
    async (request) => rolloutControls(connected.client, request.params.rolloutId).status(),
  );

  const actBody = (required: boolean, withBudget: boolean) => ({
    type: 'object',
    additionalProperties: false,
    ...(required ? { required: ['reason'] } : {}),
    properties: { reason: reasonSchema, ...(withBudget ? { errorBudget: errorBudgetSchema } : {}) },
  });

  app.post<{ Params: { rolloutId: string }; Body: ActBody }>(
    '/v1/rollouts/:rolloutId/approve',
    {
      config: { role: 'approver' },
      schema: {
        tags: ['rollouts'],
        summary: 'Approve the next wave of a rollout that waits for it',
        description: "Needs the approver role and the runbook's `approve` rule, if it has one.",
        params: rolloutIdParams,
        body: actBody(false, false),
        response: { 200: stateAnswer, ...errorResponses([404, 409, 413, 415]) },
      },
    },
    async (request) => {
      const controls = rolloutControls(connected.client, request.params.rolloutId);
      const refused = refuseByRunbookRule(request.caller, (await controls.state()).runbook, 'approve', config);
      if (refused) throw refused;
      const { reason } = request.body;
      return controls.approveWave({ by: request.caller.identity, groups: request.caller.groups, ...(reason ? { reason } : {}) });
    },
  );

  app.post<{ Params: { rolloutId: string }; Body: ActBody }>(
    '/v1/rollouts/:rolloutId/resume',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['rollouts'],
        summary: 'Resume a halted or paused rollout, optionally with a larger error budget',
        params: rolloutIdParams,
        body: actBody(false, true),
        response: { 200: stateAnswer, ...errorResponses([404, 409, 413, 415]) },
      },
    },
    async (request) => {
      const { reason, errorBudget } = request.body;
      return rolloutControls(connected.client, request.params.rolloutId).resume({
        by: request.caller.identity,
        groups: request.caller.groups,
        ...(reason ? { reason } : {}),
        ...(errorBudget ? { errorBudget } : {}),
      });
    },
  );

  app.post<{ Params: { rolloutId: string }; Body: ActBody & { reason: string } }>(
    '/v1/rollouts/:rolloutId/pause',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['rollouts'],
        summary: 'Pause a rollout: no new cluster run starts until resume (reason required)',
        params: rolloutIdParams,
        body: actBody(true, false),
        response: { 200: stateAnswer, ...errorResponses([404, 409, 413, 415]) },
      },
    },
    async (request) =>
      rolloutControls(connected.client, request.params.rolloutId).pause({
        by: request.caller.identity,
        groups: request.caller.groups,
        reason: request.body.reason,
      }),
  );
};
