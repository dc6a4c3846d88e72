// Worker settings: defaults, a YAML file, environment variables over the file, and errors that
// name the setting as the operator wrote it and say how to fix it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigErrors, loadSettings } from '../core/config.js';
import { dataConverterFromEnv } from '../core/data-converter.js';
import { sdkShutdownTimes } from '../worker/graceful-shutdown.js';
import { nativeConnectionOptions } from '../core/temporal-connection.js';

const scratch = mkdtempSync(join(tmpdir(), 'ssmflow-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigErrors) return err.problems.map((p) => p.message);
    throw err;
  }
  throw new Error('expected the configuration to be rejected');
}

const key32 = (fill: number) => Buffer.alloc(32, fill).toString('base64');

describe('worker configuration', () => {
  it('has working defaults with nothing set', () => {
    const settings = loadSettings({ env: {} });
    expect(settings.temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'ssmflow' });
    expect(settings.worker).toMatchObject({
      maxConcurrentActivities: 100,
      maxConcurrentWorkflowTasks: 40,
      shutdownGraceTime: 30_000,
      shutdownForceTime: 60_000,
    });
    expect(settings.observability).toMatchObject({
      logLevel: 'info',
      httpAddress: '0.0.0.0:9464',
      sdkMetricsAddress: '127.0.0.1:9465',
      tracing: { enabled: false },
    });
  });

  it('reads the YAML file, and an environment variable wins over the same key in the file', () => {
    const config = file(
      'precedence.yaml',
      `temporal:
  address: temporal.internal:7233
  namespace: ops
  taskQueue: from-file
worker:
  maxConcurrentActivities: 250
  shutdownGraceTime: 45s
  shutdownForceTime: 2m
output:
  bucket: ops-ssm-output
`,
    );
    const settings = loadSettings({
      env: { SSMFLOW_CONFIG: config, SSMFLOW_TASK_QUEUE: 'from-env', SSMFLOW_MAX_CONCURRENT_ACTIVITIES: '300' },
    });
    expect(settings.temporal).toMatchObject({ address: 'temporal.internal:7233', namespace: 'ops', taskQueue: 'from-env' });
    expect(settings.worker).toMatchObject({ maxConcurrentActivities: 300, shutdownGraceTime: 45_000, shutdownForceTime: 120_000 });
    expect(settings.output.bucket).toBe('ops-ssm-output');
    // An explicit --config beats SSMFLOW_CONFIG.
    const other = file('other.yaml', 'temporal: { namespace: other }\n');
    expect(loadSettings({ env: { SSMFLOW_CONFIG: config }, configFile: other }).temporal.namespace).toBe('other');
  });

  it('reads durations as runbooks write them, compound units included', () => {
    const settings = loadSettings({
      env: { SSMFLOW_SHUTDOWN_GRACE_TIME: '1m30s', SSMFLOW_SHUTDOWN_FORCE_TIME: '2m', SSMFLOW_SSM_LISTING_LAG: '45s' },
    });
    expect(settings.worker).toMatchObject({ shutdownGraceTime: 90_000, shutdownForceTime: 120_000, ssmListingLag: 45_000 });
    expect(problems(() => loadSettings({ env: { SSMFLOW_SHUTDOWN_FORCE_TIME: '30s1m' } }))).toEqual([
      expect.stringMatching(/^SSMFLOW_SHUTDOWN_FORCE_TIME: expected a duration such as/),
    ]);
  });

  it('names the variable, the bad value and the fix for each wrong environment setting, all at once', () => {
    const messages = problems(() =>
      loadSettings({
        env: {
          TEMPORAL_ADDRESS: 'temporal.internal',
          SSMFLOW_MAX_CONCURRENT_ACTIVITIES: 'lots',
          SSMFLOW_SHUTDOWN_GRACE_TIME: 'soon',
          SSMFLOW_LOG_LEVEL: 'loud',
          SSMFLOW_TRACING: 'maybe',
        },
      }),
    );
    expect(messages).toEqual([
      expect.stringMatching(/^TEMPORAL_ADDRESS: expected host:port, got "temporal.internal" \(fix: host:port of the Temporal frontend/),
      expect.stringMatching(/^SSMFLOW_MAX_CONCURRENT_ACTIVITIES: expected a whole number, got "lots" \(fix: a whole number ≥ 1/),
      expect.stringMatching(/^SSMFLOW_SHUTDOWN_GRACE_TIME: expected a duration such as 30s, 2m or 500ms, got "soon" \(fix: a duration/),
      expect.stringMatching(/^SSMFLOW_LOG_LEVEL: expected one of trace, debug, info, warn, error, got "loud"/),
      expect.stringMatching(/^SSMFLOW_TRACING: expected true or false, got "maybe" \(fix: true or false\)/),
    ]);
  });

  it('names the key in the file for wrong file settings, and catches misspelled keys', () => {
    const config = file(
      'typos.yaml',
      'worker:\n  maxConcurrentActivites: 5\n  maxConcurrentWorkflowTasks: 1\nobservability:\n  httpAddress: 9464\n',
    );
    const messages = problems(() => loadSettings({ env: {}, configFile: config }));
    expect(messages).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^worker.maxConcurrentActivites in ${config}: is not an ssmflow setting \\(fix: remove it or use one of: maxConcurrentActivities,`,
        ),
      ),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(new RegExp(`^worker.maxConcurrentWorkflowTasks in ${config}: must be at least 2, got "1"`)),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(new RegExp(`^observability.httpAddress in ${config}: expected host:port or off`)),
    );
  });

  it('rejects a missing or malformed config file, naming it', () => {
    expect(problems(() => loadSettings({ env: { SSMFLOW_CONFIG: join(scratch, 'absent.yaml') } }))).toEqual([
      expect.stringMatching(/^SSMFLOW_CONFIG \/ --config: ".*absent.yaml" does not exist \(fix: give the path of a YAML config file/),
    ]);
    const broken = file('broken.yaml', 'temporal: [unclosed\n');
    expect(problems(() => loadSettings({ env: {}, configFile: broken }))[0]).toMatch(/^config file .*broken.yaml: is not valid YAML/);
  });

  it('checks settings that go together: mTLS pairs, API key or mTLS, readable files, force time over grace time', () => {
    const cert = file('client.pem', 'cert');
    const messages = problems(() =>
      loadSettings({
        env: {
          TEMPORAL_TLS_CERT: cert,
          TEMPORAL_API_KEY: 'key-value-never-shown',
          TEMPORAL_TLS_CA: join(scratch, 'missing-ca.pem'),
          SSMFLOW_SHUTDOWN_GRACE_TIME: '1m',
          SSMFLOW_SHUTDOWN_FORCE_TIME: '30s',
        },
      }),
    );
    expect(messages).toEqual([
      expect.stringMatching(
        /^TEMPORAL_TLS_KEY \/ temporal.tls.clientKeyFile: is required with the other half of the mTLS pair \(fix: give both/,
      ),
      expect.stringMatching(
        /^TEMPORAL_API_KEY: and an mTLS client certificate are both set \(fix: authenticate with either an API key or mTLS/,
      ),
      expect.stringMatching(/^TEMPORAL_TLS_CA: ".*missing-ca.pem" does not exist \(fix: the path of the CA certificate/),
      expect.stringMatching(/^SSMFLOW_SHUTDOWN_FORCE_TIME: \(30000 ms\) must be longer than the shutdown grace time \(60000 ms\)/),
    ]);
    expect(messages.join('\n')).not.toContain('key-value-never-shown');
  });

  it('builds Temporal Cloud connections: mTLS with CA and server name, or API key over TLS', () => {
    const cert = file('cloud.crt', 'CERT');
    const key = file('cloud.key', 'KEY');
    const ca = file('ca.pem', 'CA');
    const mtls = loadSettings({
      env: {
        TEMPORAL_ADDRESS: 'ops.a1b2c.tmprl.cloud:7233',
        TEMPORAL_NAMESPACE: 'ops.a1b2c',
        TEMPORAL_TLS_CERT: cert,
        TEMPORAL_TLS_KEY: key,
        TEMPORAL_TLS_CA: ca,
        TEMPORAL_TLS_SERVER_NAME: 'ops.a1b2c.tmprl.cloud',
      },
    });
    const mtlsOptions = nativeConnectionOptions(mtls.temporal);
    expect(mtlsOptions.address).toBe('ops.a1b2c.tmprl.cloud:7233');
    expect(mtlsOptions.tls).toEqual({
      clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
      serverRootCACertificate: Buffer.from('CA'),
      serverNameOverride: 'ops.a1b2c.tmprl.cloud',
    });
    expect(mtlsOptions.apiKey).toBeUndefined();

    const apiKeyFile = file('api-key', 'cloud-api-key\n');
    const withKey = loadSettings({ env: { TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233', TEMPORAL_API_KEY_FILE: apiKeyFile } });
    expect(nativeConnectionOptions(withKey.temporal)).toEqual({
      address: 'us-east-1.aws.api.temporal.io:7233',
      tls: {},
      apiKey: 'cloud-api-key',
    });
    expect(nativeConnectionOptions(loadSettings({ env: {} }).temporal)).toEqual({ address: '127.0.0.1:7233' });
  });

  it('gives the SDK a grace time a little past ssmflow’s own hand-over, and never past the force time', () => {
    expect(sdkShutdownTimes({ graceMs: 30_000, forceMs: 60_000 })).toEqual({ shutdownGraceTime: 35_000, shutdownForceTime: 60_000 });
    expect(sdkShutdownTimes({ graceMs: 1_000, forceMs: 3_000 })).toEqual({ shutdownGraceTime: 2_000, shutdownForceTime: 3_000 });
  });

  it('validates encryption keys without ever printing one', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    const messages = problems(() => dataConverterFromEnv({ env: { SSMFLOW_ENCRYPTION_KEYS: `2025-06=${short},bad id=${key32(1)}` } }));
    expect(messages).toEqual([
      'SSMFLOW_ENCRYPTION_KEYS / encryption.keys: key "2025-06" is not 32 bytes of base64 (fix: generate one with: openssl rand -base64 32)',
      expect.stringMatching(/^SSMFLOW_ENCRYPTION_KEYS \/ encryption.keys: key id "bad id" is not valid/),
    ]);
    expect(messages.join('\n')).not.toContain(short);
    expect(problems(() => dataConverterFromEnv({ env: { SSMFLOW_ENCRYPTION_KEYS: `a=${key32(1)},b=${key32(2)}` } }))).toEqual([
      expect.stringMatching(
        /^SSMFLOW_ENCRYPTION_KEY_ID \/ encryption.currentKeyId: must name the key to encrypt with \(configured: a, b\)/,
      ),
    ]);
    expect(
      problems(() => dataConverterFromEnv({ env: { SSMFLOW_ENCRYPTION_KEYS: `a=${key32(1)}`, SSMFLOW_ENCRYPTION_KEY_ID: 'c' } })),
    ).toEqual([expect.stringMatching(/"c" is not one of the configured keys \(a\)/)]);
    const keysFile = file('keys.yaml', `2025-06: ${key32(3)}\n2024-12: ${key32(4)}\n`);
    expect(
      dataConverterFromEnv({ env: { SSMFLOW_ENCRYPTION_KEYS_FILE: keysFile, SSMFLOW_ENCRYPTION_KEY_ID: '2025-06' } }).payloadCodecs,
    ).toHaveLength(1);
    expect(dataConverterFromEnv({ env: {} }).payloadCodecs).toBeUndefined();
  });
});
