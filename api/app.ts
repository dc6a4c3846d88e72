// The HTTP API as a Fastify app: JSON only, every route's input checked against its schema,
// authentication and the route's role checked before anything else, one error shape, and an
// OpenAPI 3.1 document generated from the same schemas. Listening is serve.ts's business.
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Connected } from '../client/connection.js';
import { packageVersion } from '../core/package-info.js';
import { authenticator } from './authenticate.js';
import { refuseWithoutRole } from './authorize.js';
import { runbookCatalog } from './catalog.js';
import type { ServeConfig } from './config.js';
import type { ApiContext } from './context.js';
import { mapError } from './errors.js';
import { healthRoutes } from './routes/health.js';
import { rolloutRoutes } from './routes/rollouts.js';
import { runActionRoutes } from './routes/run-actions.js';
import { runRoutes } from './routes/runs.js';
import { runbookRoutes } from './routes/runbooks.js';
import { scheduleRoutes } from './routes/schedules.js';
import { errorSchema } from './schemas.js';

export const bodyLimitBytes = 256 * 1024;

export interface ApiAppOptions {
  config: ServeConfig;
  connected: Connected;
  /** Where the JSON log lines go (default stdout); tests capture it. */
  logStream?: DestinationStream;
  logLevel?: string;
  /** A request still unanswered after this long gets a 503 (a Temporal call waiting on a worker that never comes). */
  handlerTimeoutMs?: number;
}

const apiDescription = `Start, follow and steer ssmflow runs, rollouts and schedules over HTTP.

Every route but the probes needs \`Authorization: Bearer <token>\`: a token from the server's config (stored there
only as its SHA-256) or an OIDC access token. The caller's identity is recorded as who started or acted; no request
can name someone else. Roles: viewer (every GET), operator (start runs and rollouts, retry, skip, rollback, abort,
pause, resume; schedules), approver (approve, reject; rollout waves), admin (all). Answers are the JSON of the
CLI's \`--json\` for the same command; errors are \`{ "error": { "code", "message", "fix" } }\`.`;

export async function buildApiApp(options: ApiAppOptions): Promise<FastifyInstance> {
  const { config, connected } = options;
  const app = Fastify({
    logger: {
      level: options.logLevel ?? 'info',
      ...(options.logStream ? { stream: options.logStream } : {}),
      // Tokens travel only in this header; it is never logged, whatever logs a request.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'authorization'],
        censor: '[redacted]',
      },
    },
    bodyLimit: bodyLimitBytes,
    // Nothing hangs: slow clients and stuck handlers are cut off.
    connectionTimeout: 60_000,
    requestTimeout: 60_000,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 300 },
    // Unknown fields are refused, not silently dropped (a body cannot smuggle in `by`).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false, allowUnionTypes: true } },
  });
  const context: ApiContext = { config, connected, catalog: runbookCatalog(config.catalog) };
  const authenticate = authenticator(config.auth, app.log);

  // JSON only: text/plain would otherwise be accepted.
  app.removeContentTypeParser('text/plain');
  app.addSchema(errorSchema);
  app.decorateRequest('caller', null as never);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'ssmflow API', version: packageVersion, description: apiDescription },
      ...(config.publicUrl ? { servers: [{ url: config.publicUrl }] } : {}),
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'a token made with `ssmflow serve token`, or an OIDC access token (JWT) from the configured issuer',
          },
        },
      },
      security: [{ bearer: [] }],
      tags: [
        { name: 'runbooks', description: 'what the API may start' },
        { name: 'runs', description: 'start, list and read runs' },
        { name: 'run actions', description: 'operator actions on a run: approve, retry, skip, rollback, abort, pause, resume' },
        { name: 'rollouts', description: 'one runbook across many clusters in waves' },
        { name: 'schedules', description: 'scheduled runs' },
        { name: 'health', description: 'probes, without authentication' },
      ],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  // Nothing hangs: Fastify's own timeouts cover receiving a request, this covers answering it.
  const handlerTimeoutMs = options.handlerTimeoutMs ?? 45_000;
  const deadlines = new WeakMap<object, NodeJS.Timeout>();
  app.addHook('onRequest', async (request, reply) => {
    const timer = setTimeout(() => {
      if (reply.sent) return;
      request.log.warn({ afterMs: handlerTimeoutMs }, 'request unanswered in time');
      void reply
        .code(503)
        .header('retry-after', '5')
        .send({
          error: {
            code: 'timeout',
            message: `no answer within ${handlerTimeoutMs / 1000}s (is a worker polling task queue ${config.taskQueue}?)`,
            fix: 'try again; check GET /readyz and the workers',
          },
        });
    }, handlerTimeoutMs);
    deadlines.set(request, timer);
  });
  app.addHook('onResponse', async (request) => clearTimeout(deadlines.get(request)));

  app.addHook('onRequest', async (request) => {
    const role = request.routeOptions.config.role;
    // Unknown routes (404) and the probes need no token.
    if (!request.routeOptions.url || role === 'public') return;
    request.caller = await authenticate(request.headers.authorization);
    const refused = refuseWithoutRole(request.caller, role ?? 'admin', config.roles);
    if (refused) throw refused;
  });
  // A POST without a body means "no options"; one with a body must be a JSON object.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined) request.body = {};
  });

  app.setErrorHandler((err, request, reply) => {
    const mapped = mapError(err);
    if (mapped.unexpected) request.log.error({ err }, 'unexpected error');
    else request.log.info({ status: mapped.status, code: mapped.body.error.code }, mapped.body.error.message);
    return reply.code(mapped.status).headers(mapped.headers).type('application/json; charset=utf-8').send(mapped.body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: 'no-such-route',
        message: `no route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`,
        fix: 'see the routes in /openapi.json',
      },
    }),
  );

  for (const routes of [healthRoutes, runbookRoutes, runRoutes, runActionRoutes, rolloutRoutes, scheduleRoutes]) routes(app, context);
  await app.ready();
  return app;
}
