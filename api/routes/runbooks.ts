// GET /v1/runbooks: what the API may start.
import type { RouteGroup } from '../context.js';
import { errorResponses } from '../schemas.js';

export const runbookRoutes: RouteGroup = (app, { catalog }) => {
  app.get(
    '/v1/runbooks',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['runbooks'],
        summary: "The runbook catalog: what POST /v1/runs can start, with each runbook's parameters",
        description:
          'The runbook files of the configured catalog directory, by runbook name. A file that does not validate is listed ' +
          'under `invalid` with its problems and cannot be started.',
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            properties: {
              runbooks: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: true,
                  properties: {
                    name: { type: 'string' },
                    description: { type: 'string' },
                    file: { type: 'string' },
                    readOnly: { type: 'boolean' },
                    parameters: { type: 'object', additionalProperties: true },
                    steps: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
              invalid: {
                type: 'array',
                items: { type: 'object', properties: { file: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } } } },
              },
            },
          },
          ...errorResponses(),
        },
      },
    },
    async () => {
      const entries = await catalog.entries();
      return {
        runbooks: entries.flatMap(({ file, runbook }) =>
          runbook
            ? [
                {
                  name: runbook.name,
                  ...(runbook.description ? { description: runbook.description } : {}),
                  file,
                  readOnly: Boolean(runbook.readOnly),
                  parameters: runbook.parameters,
                  steps: runbook.steps.map((s) => s.id),
                },
              ]
            : [],
        ),
        invalid: entries.flatMap(({ file, problems }) => (problems ? [{ file, problems }] : [])),
      };
    },
  );
};
