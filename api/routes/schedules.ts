// Schedules that start ssmflow runs: list them, pause and unpause them, start one's run now.
// Creating and deleting schedules stays with the CLI (`ssmflow schedule create|delete`).
import { listSchedules, setSchedulePaused, triggerSchedule } from '../../client/actions/schedule.js';
import { overlapNames, type OverlapName } from '../../client/overlap-policies.js';
import type { RouteGroup } from '../context.js';
import { cliJson, errorResponses, reasonSchema } from '../schemas.js';

const scheduleIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['scheduleId'],
  properties: { scheduleId: { type: 'string', pattern: '^[A-Za-z0-9][\\w.-]{0,199}$' } },
} as const;

export const scheduleRoutes: RouteGroup = (app, { connected }) => {
  app.get(
    '/v1/schedules',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['schedules'],
        summary: 'The schedules that start ssmflow runs, with their next and recent runs',
        description: 'The same list as `ssmflow schedule list --json`.',
        response: { 200: { type: 'array', items: cliJson('one schedule') }, ...errorResponses() },
      },
    },
    async () => listSchedules(connected),
  );

  for (const verb of ['pause', 'unpause'] as const) {
    app.post<{ Params: { scheduleId: string }; Body: { reason?: string } }>(
      `/v1/schedules/:scheduleId/${verb}`,
      {
        config: { role: 'operator' },
        schema: {
          tags: ['schedules'],
          summary: verb === 'pause' ? 'Pause a schedule: it starts no runs until unpaused' : 'Unpause a schedule',
          description: "The schedule's note records who and why. The answer is `ssmflow schedule describe --json`.",
          params: scheduleIdParams,
          body: { type: 'object', additionalProperties: false, properties: { reason: reasonSchema } },
          response: { 200: cliJson('the schedule, as `ssmflow schedule describe --json`'), ...errorResponses([404, 413, 415]) },
        },
      },
      async (request) => {
        const { reason } = request.body;
        const { described } = await setSchedulePaused(connected, verb, request.params.scheduleId, {
          by: request.caller.identity,
          ...(reason ? { reason } : {}),
        });
        return described;
      },
    );
  }

  app.post<{ Params: { scheduleId: string }; Body: { overlap?: OverlapName } }>(
    '/v1/schedules/:scheduleId/trigger',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['schedules'],
        summary: "Start a schedule's run now, and answer with its run id",
        params: scheduleIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            overlap: { type: 'string', enum: [...overlapNames], description: 'what to do if its previous run is still going' },
          },
        },
        response: { 200: cliJson('{ scheduleId, runId }'), ...errorResponses([404, 409, 413, 415]) },
      },
    },
    async (request) => triggerSchedule(connected, request.params.scheduleId, request.body.overlap),
  );
};
