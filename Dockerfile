# The ssmflow image: the worker by default; `codec-server` and every other ssmflow command work too.
# Multi-stage: the build stage compiles dist/ (tsc and the prebuilt workflow bundle, the same
# `scripts/build.mjs` as `npm run build`); the runtime stage holds the compiled output and
# production dependencies only, and runs as the unprivileged `node` user with a read-only view of
# the app. The build context is the product alone (.dockerignore lets nothing else in).

# Compiles dist/ with the full dependency set (TypeScript, the bundler's loaders).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/build-freshness.mjs ./scripts/
COPY workflows ./workflows
COPY activities ./activities
COPY aws ./aws
COPY runbook ./runbook
COPY core ./core
COPY worker ./worker
COPY client ./client
COPY api ./api
RUN node scripts/build.mjs

# Production dependencies only (the local stack's PostgreSQL comes from `npm run tools`, not npm).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SSMFLOW_HTTP_ADDRESS=0.0.0.0:9464
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# Compiled code and dist/workflow-bundle.js, which compiled workers load instead of bundling at start.
COPY --from=build /app/dist ./dist
COPY package.json runbook.schema.json ./
COPY bin ./bin
COPY runbooks ./runbooks
# Files stay root-owned: the worker process cannot change its own code.
USER node
# /metrics, /healthz and /readyz (see docs/deploy.md); the codec server listens on 8888 when run.
EXPOSE 9464 8888
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself (graceful drain); give it longer than SSMFLOW_SHUTDOWN_FORCE_TIME to stop.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/ssmflow.mjs"]
CMD ["worker"]
