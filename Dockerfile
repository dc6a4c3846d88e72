# The ssmflow image: the worker by default; `codec-server` and every other ssmflow command work too.
# Multi-stage: dependencies and the workflow bundle are built apart; the runtime stage runs as the
# unprivileged `node` user with a read-only view of the app. The build context is the product alone
# (.dockerignore lets nothing else in).

# Production dependencies only (the local stack's PostgreSQL comes from `npm run tools`, not npm).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# The workflow bundle, built once here instead of by webpack at every worker start.
FROM deps AS bundle
COPY tsconfig.json ./
COPY workflows ./workflows
COPY activities ./activities
COPY aws ./aws
COPY runbook ./runbook
COPY core ./core
COPY worker ./worker
RUN node --import tsx worker/build-workflow-bundle.ts dist/workflow-bundle.js

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SSMFLOW_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    SSMFLOW_HTTP_ADDRESS=0.0.0.0:9464
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=bundle /app/dist ./dist
COPY package.json tsconfig.json runbook.schema.json ./
COPY bin ./bin
COPY workflows ./workflows
COPY activities ./activities
COPY aws ./aws
COPY core ./core
COPY worker ./worker
COPY client ./client
COPY runbook ./runbook
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
