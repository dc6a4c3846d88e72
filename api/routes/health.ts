// Unauthenticated probes and the API's own description.
import type { RouteGroup } from '../context.js';

const probe = { type: 'object', additionalProperties: true, properties: { status: { type: 'string' } } } as const;

export const healthRoutes: RouteGroup = (app, { connected, catalog }) => {
  app.get(
    '/healthz',
    {
      config: { role: 'public' },
      schema: { tags: ['health'], summary: 'Liveness: the process answers', security: [], response: { 200: probe } },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      config: { role: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Readiness: Temporal answers and the runbook catalog is readable',
        description: 'Answers 503 with the failing check while either is not the case; take the instance out of rotation then.',
        security: [],
        response: { 200: probe, 503: probe },
      },
    },
    async (_request, reply) => {
      const temporal = await connected.connection
        .withDeadline(Date.now() + 3_000, () => connected.connection.healthService.check({}))
        .then(() => true)
        .catch(() => false);
      const readable = await catalog.readable();
      const checks = { temporal: temporal ? 'ok' : 'unreachable', catalog: readable ? 'ok' : 'unreadable' };
      return reply.code(temporal && readable ? 200 : 503).send({ status: temporal && readable ? 'ready' : 'not-ready', checks });
    },
  );
  app.get(
    '/openapi.json',
    {
      config: { role: 'public' },
      schema: { tags: ['health'], summary: 'This API as an OpenAPI 3.1 document', security: [], hide: true },
    },
    async () => app.swagger(),
  );
};
