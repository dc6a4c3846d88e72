// The worker's settings: defaults, then an optional YAML file (--config / SSMFLOW_CONFIG), then
// environment variables, validated at start. Every error names the setting as the operator wrote
// it (the variable, or the key in the file) and says how to fix it.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isDuration, parseDuration } from '../runbook/duration.js';
import { notificationKinds } from './notification-event.js';

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
    readonly fix?: string,
  ) {
    super(`${setting}: ${message}${fix ? ` (fix: ${fix})` : ''}`);
    this.name = 'ConfigError';
  }
}

/** All problems found in one look, so an operator fixes the config in one pass. */
export class ConfigErrors extends Error {
  constructor(readonly problems: ConfigError[]) {
    super(`invalid ssmflow configuration:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`);
    this.name = 'ConfigErrors';
  }
}

interface SettingSpec {
  /** Dotted key in the config file. */
  key: string;
  env: string;
  fix: string;
  /** Never echoed in an error. */
  secret?: boolean;
}

/** host:port, or [ipv6]:port: a Temporal frontend or a listen address. */
export const hostPortPattern = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;
const logLevels = ['trace', 'debug', 'info', 'warn', 'error'] as const;

// Each setting is declared once, in the schema below: its type and default, then its variable and
// the fix shown when its value is wrong. settingSpecs is read back from the schema.
type SettingMeta = Omit<SettingSpec, 'key'>;
const settingMeta = z.registry<SettingMeta>();

function setting<T extends z.ZodType>(schema: T, env: string, fix: string, options: { secret?: boolean } = {}): T {
  // One schema instance per setting: a shared instance would carry the last setting's variable.
  if (settingMeta.has(schema)) throw new Error(`${env}: this schema already belongs to ${settingMeta.get(schema)?.env}`);
  settingMeta.add(schema, { env, fix, ...options });
  return schema;
}

// Values from the environment are text; these turn them (and YAML scalars) into typed values.
const booleanSetting = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? (({ true: true, '1': true, yes: true, false: false, '0': false, no: false } as Record<string, boolean>)[v.trim().toLowerCase()] ??
        v)
      : v,
  z.boolean({ error: 'expected true or false' }),
);
const wholeNumber = (min: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    z.number({ error: 'expected a whole number' }).int('expected a whole number').min(min, `must be at least ${min}`),
  );
// Written as runbooks write durations (30s, 1m30s, 500ms): one parser, one set of rules.
const durationMs = z.preprocess(
  (v) => (typeof v === 'string' && isDuration(v) ? parseDuration(v) : v),
  z.number({ error: 'expected a duration such as 30s, 2m or 500ms' }).int().nonnegative('must not be negative'),
);
const hostPort = z.string().regex(hostPortPattern, 'expected host:port');
const hostPortOrOff = z.union([z.literal('off'), hostPort], { error: 'expected host:port or off' });
const nonEmpty = z.string().trim().min(1, 'must not be empty');
const commaList = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  z.array(z.url({ error: 'expected an origin such as http://localhost:8080' })),
);
const keyMap = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? Object.fromEntries(
          v
            .split(',')
            .filter((p) => p.trim())
            .map((pair) => [pair.split('=')[0]?.trim() ?? '', pair.slice(pair.indexOf('=') + 1).trim()]),
        )
      : v,
  z.record(z.string(), z.string(), { error: 'expected id=base64key pairs' }),
);

const temporalSection = z.strictObject({
  address: setting(
    hostPort.default('127.0.0.1:7233'),
    'TEMPORAL_ADDRESS',
    'host:port of the Temporal frontend, e.g. 127.0.0.1:7233 or my-ns.a1b2c.tmprl.cloud:7233',
  ),
  namespace: setting(nonEmpty.default('default'), 'TEMPORAL_NAMESPACE', 'a namespace name, e.g. default or my-ns.a1b2c on Temporal Cloud'),
  taskQueue: setting(
    nonEmpty.default('ssmflow'),
    'SSMFLOW_TASK_QUEUE',
    'a non-empty task queue name, the same for workers and clients (default ssmflow)',
  ),
  apiKey: setting(nonEmpty.optional(), 'TEMPORAL_API_KEY', 'a Temporal Cloud API key; prefer temporal.apiKeyFile / TEMPORAL_API_KEY_FILE', {
    secret: true,
  }),
  apiKeyFile: setting(nonEmpty.optional(), 'TEMPORAL_API_KEY_FILE', 'the path of a readable file holding the API key'),
  tls: z
    .strictObject({
      enabled: setting(booleanSetting.optional(), 'TEMPORAL_TLS', 'true or false'),
      clientCertFile: setting(nonEmpty.optional(), 'TEMPORAL_TLS_CERT', 'the path of the client certificate (PEM) for mTLS'),
      clientKeyFile: setting(nonEmpty.optional(), 'TEMPORAL_TLS_KEY', 'the path of the client private key (PEM) for mTLS'),
      serverCaFile: setting(nonEmpty.optional(), 'TEMPORAL_TLS_CA', 'the path of the CA certificate (PEM) that signed the server'),
      serverName: setting(
        nonEmpty.optional(),
        'TEMPORAL_TLS_SERVER_NAME',
        'the name in the server certificate, when it differs from the address host',
      ),
    })
    .prefault({}),
});

const workerSection = z.strictObject({
  maxConcurrentActivities: setting(
    wholeNumber(1).default(100),
    'SSMFLOW_MAX_CONCURRENT_ACTIVITIES',
    'a whole number ≥ 1 (default 100); each waiting SSM step holds one slot',
  ),
  maxConcurrentWorkflowTasks: setting(
    wholeNumber(2).default(40),
    'SSMFLOW_MAX_CONCURRENT_WORKFLOW_TASKS',
    'a whole number ≥ 2 (default 40)',
  ),
  maxCachedWorkflows: setting(
    wholeNumber(0).optional(),
    'SSMFLOW_MAX_CACHED_WORKFLOWS',
    'a whole number ≥ 0; leave unset to size it from memory',
  ),
  shutdownGraceTime: setting(durationMs.default(30_000), 'SSMFLOW_SHUTDOWN_GRACE_TIME', 'a duration such as 30s or 2m (default 30s)'),
  shutdownForceTime: setting(
    durationMs.default(60_000),
    'SSMFLOW_SHUTDOWN_FORCE_TIME',
    'a duration longer than the grace time, such as 1m (default 1m)',
  ),
  ssmListingLag: setting(
    durationMs.default(30_000),
    'SSMFLOW_SSM_LISTING_LAG',
    'a duration such as 30s (default 30s): how long a new SSM command may stay out of ListCommands; a send whose outcome was lost is looked up that long before it is sent again',
  ),
  workflowBundle: setting(
    nonEmpty.optional(),
    'SSMFLOW_WORKFLOW_BUNDLE',
    'the path of a prebuilt workflow bundle; unset: the one `npm run build` wrote to dist/workflow-bundle.js when running compiled, else bundle at start',
  ),
});

const outputSection = z.strictObject({
  bucket: setting(
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a valid S3 bucket name')
      .optional(),
    'SSMFLOW_OUTPUT_BUCKET',
    'an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)',
  ),
});

const observabilitySection = z.strictObject({
  logLevel: setting(
    z.enum(logLevels, { error: `expected one of ${logLevels.join(', ')}` }).default('info'),
    'SSMFLOW_LOG_LEVEL',
    `one of ${logLevels.join(', ')}`,
  ),
  httpAddress: setting(
    hostPortOrOff.default('0.0.0.0:9464'),
    'SSMFLOW_HTTP_ADDRESS',
    'host:port for /metrics, /healthz and /readyz (default 0.0.0.0:9464), or off',
  ),
  sdkMetricsAddress: setting(
    hostPortOrOff.default('127.0.0.1:9465'),
    'SSMFLOW_SDK_METRICS_ADDRESS',
    'a loopback host:port for the SDK metrics exporter (default 127.0.0.1:9465), or off',
  ),
  runsGauge: setting(booleanSetting.default(true), 'SSMFLOW_RUNS_GAUGE', 'true or false'),
  tracing: z
    .strictObject({
      enabled: setting(booleanSetting.default(false), 'SSMFLOW_TRACING', 'true or false'),
      exporter: setting(
        z.enum(['otlp', 'console'], { error: 'expected otlp or console' }).default('otlp'),
        'SSMFLOW_TRACING_EXPORTER',
        'otlp or console',
      ),
      otlpEndpoint: setting(
        z.url({ error: 'expected an http(s) URL' }).default('http://127.0.0.1:4318/v1/traces'),
        'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
        'an http(s) URL such as http://otel-collector:4318/v1/traces',
      ),
      serviceName: setting(nonEmpty.default('ssmflow-worker'), 'OTEL_SERVICE_NAME', 'a service name, e.g. ssmflow-worker'),
    })
    .prefault({}),
});

const encryptionSection = z.strictObject({
  currentKeyId: setting(
    nonEmpty.optional(),
    'SSMFLOW_ENCRYPTION_KEY_ID',
    'the id of one of the configured keys; new payloads are encrypted with it',
  ),
  keys: setting(
    keyMap.optional(),
    'SSMFLOW_ENCRYPTION_KEYS',
    'id=base64key pairs separated by commas, each key 32 random bytes (openssl rand -base64 32)',
    { secret: true },
  ),
  keysFile: setting(nonEmpty.optional(), 'SSMFLOW_ENCRYPTION_KEYS_FILE', 'the path of a readable YAML file mapping key ids to base64 keys'),
});

const codecServerSection = z.strictObject({
  address: setting(hostPort.default('127.0.0.1:8888'), 'SSMFLOW_CODEC_SERVER_ADDRESS', 'host:port to listen on (default 127.0.0.1:8888)'),
  corsOrigins: setting(
    commaList.default([]),
    'SSMFLOW_CODEC_CORS_ORIGINS',
    'comma-separated origins of the Temporal UI, e.g. http://localhost:8080',
  ),
  token: setting(nonEmpty.optional(), 'SSMFLOW_CODEC_TOKEN', 'a bearer token; prefer codecServer.tokenFile / SSMFLOW_CODEC_TOKEN_FILE', {
    secret: true,
  }),
  tokenFile: setting(nonEmpty.optional(), 'SSMFLOW_CODEC_TOKEN_FILE', 'the path of a readable file holding the bearer token'),
});

// Webhooks are one setting (a list); in a variable, the list as JSON.
const webhookList = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  },
  z.array(
    z
      .strictObject({
        name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and -, such as dba-slack'),
        url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
        format: z.enum(['slack', 'json'], { error: 'expected slack or json' }),
        events: z
          .array(z.enum(notificationKinds, { error: `each one of ${notificationKinds.join(', ')}` }))
          .min(1)
          .optional(),
        secretEnv: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected the name of an environment variable')
          .optional(),
        secretFile: z.string().min(1).optional(),
      })
      .refine((hook) => hook.format !== 'json' || Boolean(hook.secretEnv) !== Boolean(hook.secretFile), {
        error: 'a json webhook is signed: give exactly one of secretEnv or secretFile (the HMAC key)',
      }),
    { error: 'expected a list of webhooks' },
  ),
);

const notificationsSection = z.strictObject({
  webhooks: setting(
    webhookList.default([]),
    'SSMFLOW_NOTIFICATION_WEBHOOKS',
    'a list of { name, url, format: slack|json, events?, secretEnv|secretFile } (in the variable, as JSON); see docs/notifications.md',
    { secret: true },
  ),
  publicUrl: setting(
    z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
    'SSMFLOW_PUBLIC_URL',
    'the URL people reach `ssmflow serve` at, such as https://ssmflow.example.com (for the links in notifications)',
  ),
  deliveryTimeout: setting(
    durationMs.default(24 * 3600_000),
    'SSMFLOW_NOTIFICATION_DELIVERY_TIMEOUT',
    'a duration such as 24h or 30m (default 24h): how long an undelivered notification keeps being retried',
  ),
});

const configSchema = z.strictObject({
  temporal: temporalSection.prefault({}),
  worker: workerSection.prefault({}),
  output: outputSection.prefault({}),
  observability: observabilitySection.prefault({}),
  encryption: encryptionSection.prefault({}),
  codecServer: codecServerSection.prefault({}),
  notifications: notificationsSection.prefault({}),
});

/** The object a field holds, under its default/prefault/optional wrappers; undefined for a leaf. */
function objectInside(schema: z.ZodType): z.ZodObject | undefined {
  let inner: z.ZodType | undefined = schema;
  while (inner && !(inner instanceof z.ZodObject)) inner = (inner._zod.def as { innerType?: z.ZodType }).innerType;
  return inner;
}

function specsOf(shape: Record<string, z.ZodType>, prefix = ''): SettingSpec[] {
  return Object.entries(shape).flatMap(([name, schema]) => {
    const key = prefix ? `${prefix}.${name}` : name;
    const meta = settingMeta.get(schema);
    if (meta) return [{ key, ...meta }];
    const object = objectInside(schema);
    if (!object) throw new Error(`config key ${key} is neither a setting nor a section`);
    return specsOf(object.shape, key);
  });
}

/** Every setting with its file key, its variable and the fix shown when its value is wrong. */
export const settingSpecs: readonly SettingSpec[] = specsOf(configSchema.shape);

const specByKey = new Map(settingSpecs.map((s) => [s.key, s]));

export type SsmflowSettings = z.output<typeof configSchema>;
export type ConfigSection = keyof SsmflowSettings;

export interface LoadSettingsOptions {
  env?: NodeJS.ProcessEnv;
  /** A YAML file; defaults to SSMFLOW_CONFIG. */
  configFile?: string;
  /** Validate only these sections (a client needs `temporal` and `encryption`, not the worker's knobs). */
  sections?: readonly ConfigSection[];
}

/** Where a setting's value came from, for error messages. */
type Origin = { kind: 'env'; name: string } | { kind: 'file'; file: string };

/**
 * Reads defaults, then the config file, then the environment (a variable wins over the file), and
 * validates the result. Throws ConfigErrors listing every problem, each naming its setting and fix.
 */
export function loadSettings(options: LoadSettingsOptions = {}): SsmflowSettings {
  const env = options.env ?? process.env;
  const configFile = options.configFile ?? (env.SSMFLOW_CONFIG || undefined);
  const origins = new Map<string, Origin>();
  const raw = configFile ? readConfigFile(configFile) : {};
  if (configFile) for (const key of leafKeys(raw)) origins.set(key, { kind: 'file', file: configFile });

  for (const spec of settingSpecs) {
    const value = env[spec.env];
    if (value === undefined || value === '') continue;
    setPath(raw, spec.key, value);
    origins.set(spec.key, { kind: 'env', name: spec.env });
  }

  const sections = options.sections ?? (Object.keys(configSchema.shape) as ConfigSection[]);
  const schema = configSchema.pick(Object.fromEntries(sections.map((s) => [s, true])) as Record<ConfigSection, true>);
  const parsed = schema.safeParse(
    Object.fromEntries(Object.entries(raw).filter(([k]) => sections.includes(k as ConfigSection) || !(k in configSchema.shape))),
  );
  if (!parsed.success) throw new ConfigErrors(parsed.error.issues.flatMap((issue) => issueToErrors(issue, raw, origins, configFile)));

  const settings = parsed.data as SsmflowSettings;
  const problems = checkRelations(settings, sections, (key) => settingName(key, origins, configFile));
  if (problems.length) throw new ConfigErrors(problems);
  return settings;
}

/** The setting as the operator wrote it: the variable, the key in the file, or (for defaults) both names. */
export function settingName(key: string, origins: Map<string, Origin>, configFile?: string): string {
  const origin = origins.get(key);
  if (origin?.kind === 'env') return origin.name;
  if (origin?.kind === 'file') return `${key} in ${origin.file}`;
  const spec = specByKey.get(key);
  return spec ? `${spec.env} / ${key}${configFile ? ` in ${configFile}` : ''}` : key;
}

/**
 * A YAML config file's contents; a missing file or bad YAML is a ConfigErrors naming `setting`
 * (how the operator gave the path) and the fix. Shared by the worker's and the API's config.
 */
export function readYamlConfigFile(file: string, setting: string, missingFix: string): unknown {
  if (!existsSync(file)) throw new ConfigErrors([new ConfigError(setting, `"${file}" does not exist`, missingFix)]);
  try {
    return parseYaml(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new ConfigErrors([new ConfigError(`config file ${file}`, `is not valid YAML: ${(err as Error).message}`, 'fix the YAML syntax')]);
  }
}

function readConfigFile(file: string): Record<string, unknown> {
  const parsed = readYamlConfigFile(file, 'SSMFLOW_CONFIG / --config', 'give the path of a YAML config file, or unset it');
  if (parsed == null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigErrors([
      new ConfigError(
        `config file ${file}`,
        'must be a YAML mapping (temporal:, worker:, observability:, …)',
        'see docs/deploy.md for the keys',
      ),
    ]);
  }
  return parsed as Record<string, unknown>;
}

function leafKeys(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return prefix ? [prefix] : [];
  // encryption.keys is one setting whose value happens to be a mapping.
  if (prefix === 'encryption.keys') return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1) ?? key] = value;
}

function getPath(source: Record<string, unknown>, key: string): unknown {
  let node: unknown = source;
  for (const part of key.split('.')) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}

function issueToErrors(
  issue: z.core.$ZodIssue,
  raw: Record<string, unknown>,
  origins: Map<string, Origin>,
  configFile: string | undefined,
): ConfigError[] {
  const key = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((unknown) => {
      const full = key ? `${key}.${unknown}` : unknown;
      const known = knownKeysUnder(key);
      return new ConfigError(
        `${full}${configFile ? ` in ${configFile}` : ''}`,
        'is not an ssmflow setting',
        `remove it or use one of: ${known.join(', ')}`,
      );
    });
  }
  // A record's bad entry reports a path below the setting (encryption.keys.<id>).
  const specKey = specByKey.has(key) ? key : ([...specByKey.keys()].find((k) => key.startsWith(`${k}.`)) ?? key);
  const spec = specByKey.get(specKey);
  const given = getPath(raw, specKey);
  const shown = spec?.secret || given === undefined || typeof given === 'object' ? '' : `, got "${String(given)}"`;
  // Inside a list or mapping setting, say where: `[0].url` of notifications.webhooks.
  const inside = key.startsWith(`${specKey}.`) ? key.slice(specKey.length + 1).replace(/^(\d+)/, '[$1]') : '';
  return [new ConfigError(settingName(specKey, origins, configFile), `${inside ? `${inside}: ` : ''}${issue.message}${shown}`, spec?.fix)];
}

function knownKeysUnder(prefix: string): string[] {
  const names = new Set<string>();
  for (const spec of settingSpecs) {
    if (prefix && !spec.key.startsWith(`${prefix}.`)) continue;
    const rest = prefix ? spec.key.slice(prefix.length + 1) : spec.key;
    names.add(rest.split('.')[0] ?? rest);
  }
  return [...names];
}

/** Checks between settings and against the file system: pairs that go together, readable files, bounds. */
function checkRelations(settings: SsmflowSettings, sections: readonly ConfigSection[], name: (key: string) => string): ConfigError[] {
  const problems: ConfigError[] = [];
  const readable = (key: string, path: string | undefined) => {
    if (path && !existsSync(path)) problems.push(new ConfigError(name(key), `"${path}" does not exist`, specByKey.get(key)?.fix));
  };
  if (sections.includes('temporal')) {
    const { tls, apiKey, apiKeyFile } = settings.temporal;
    if (Boolean(tls.clientCertFile) !== Boolean(tls.clientKeyFile)) {
      const missing = tls.clientCertFile ? 'temporal.tls.clientKeyFile' : 'temporal.tls.clientCertFile';
      problems.push(
        new ConfigError(
          name(missing),
          'is required with the other half of the mTLS pair',
          'give both the client certificate and its key, or neither',
        ),
      );
    }
    if (apiKey && apiKeyFile)
      problems.push(
        new ConfigError(
          name('temporal.apiKeyFile'),
          'and an inline API key are both set',
          'keep one of TEMPORAL_API_KEY / TEMPORAL_API_KEY_FILE',
        ),
      );
    if ((apiKey || apiKeyFile) && tls.clientCertFile) {
      problems.push(
        new ConfigError(
          name('temporal.apiKey'),
          'and an mTLS client certificate are both set',
          'authenticate with either an API key or mTLS, not both',
        ),
      );
    }
    if (tls.enabled === false && (tls.clientCertFile || tls.serverCaFile || apiKey || apiKeyFile)) {
      problems.push(
        new ConfigError(
          name('temporal.tls.enabled'),
          'is false but TLS material or an API key is configured',
          'remove TEMPORAL_TLS=false, or the certificates/API key',
        ),
      );
    }
    readable('temporal.apiKeyFile', apiKeyFile);
    readable('temporal.tls.clientCertFile', tls.clientCertFile);
    readable('temporal.tls.clientKeyFile', tls.clientKeyFile);
    readable('temporal.tls.serverCaFile', tls.serverCaFile);
  }
  if (sections.includes('worker')) {
    const { shutdownGraceTime, shutdownForceTime, workflowBundle } = settings.worker;
    if (shutdownForceTime <= shutdownGraceTime) {
      problems.push(
        new ConfigError(
          name('worker.shutdownForceTime'),
          `(${shutdownForceTime} ms) must be longer than the shutdown grace time (${shutdownGraceTime} ms)`,
          'give the drain room: e.g. grace 30s, force 1m',
        ),
      );
    }
    readable('worker.workflowBundle', workflowBundle);
  }
  if (sections.includes('encryption')) {
    const { keys, keysFile } = settings.encryption;
    if (keys && keysFile)
      problems.push(
        new ConfigError(
          name('encryption.keysFile'),
          'and inline keys are both set',
          'keep one of SSMFLOW_ENCRYPTION_KEYS / SSMFLOW_ENCRYPTION_KEYS_FILE',
        ),
      );
    readable('encryption.keysFile', keysFile);
  }
  if (sections.includes('codecServer')) {
    const { token, tokenFile } = settings.codecServer;
    if (token && tokenFile)
      problems.push(
        new ConfigError(
          name('codecServer.tokenFile'),
          'and an inline token are both set',
          'keep one of SSMFLOW_CODEC_TOKEN / SSMFLOW_CODEC_TOKEN_FILE',
        ),
      );
    readable('codecServer.tokenFile', tokenFile);
  }
  return problems;
}

/** Reads a secret kept in a file (API key, bearer token): trimmed, never logged. */
export function readSecretFile(path: string): string {
  return readFileSync(path, 'utf8').trim();
}
