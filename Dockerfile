# The ssmflow worker image: multi-stage, runs as a non-root user.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY client ./client
COPY runbook ./runbook
COPY runbooks ./runbooks
USER node
ENTRYPOINT ["node", "bin/ssmflow.mjs"]
CMD ["worker"]
