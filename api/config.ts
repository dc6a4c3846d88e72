// The API server's settings (`ssmflow serve --config FILE`, or SSMFLOW_SERVE_CONFIG): where it
// listens, which runbooks it may start, who may call it and in which role. Validated at start;
// every problem is reported at once, naming its key in the file and the fix.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, ConfigErrors, hostPortPattern, readYamlConfigFile } from '../core/config.js';

export const roleNames = ['viewer', 'operator', 'approver', 'admin'] as const;
export type RoleName = (typeof roleNames)[number];

/** A group name, or `user:<identity>` for one caller. */
const principal = z.string().trim().min(1, 'expected a group name or user:<identity>');
const principals = z.array(principal);

const tokenEntry = z.strictObject({
  identity: z.string().trim().min(1, 'expected who the token belongs to, such as alice@example.com'),
  groups: principals.default([]),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "expected the 64 lowercase hex digits of the token's SHA-256 (never the token itself)"),
});

const oidcSection = z.strictObject({
  issuer: z.url({ error: "expected the issuer URL, exactly as the tokens' iss claim" }),
  audience: z.string().trim().min(1, 'expected the audience (aud claim) the tokens are issued for'),
  jwksUrl: z.url({ error: "expected the URL of the issuer's JSON Web Key Set" }),
  identityClaim: z.string().trim().min(1).default('sub'),
  groupsClaim: z.string().trim().min(1).default('groups'),
});

const serveSchema = z.strictObject({
  listen: z.string().regex(hostPortPattern, 'expected host:port').default('127.0.0.1:8080'),
  taskQueue: z.string().trim().min(1).default('ssmflow'),
  catalog: z.string().trim().min(1, 'expected the directory of runbook YAML files the API may start'),
  maxTargets: z.number().int().min(1).default(25),
  outputBucket: z.string().trim().min(1).optional(),
  outputPrefix: z.string().trim().min(1).default('ssmflow/runs'),
  publicUrl: z.url({ error: 'expected an absolute URL such as https://ssmflow.example.com' }).optional(),
  auth: z
    .strictObject({
      tokens: z.array(tokenEntry).default([]),
      oidc: oidcSection.optional(),
    })
    .refine((auth) => auth.tokens.length > 0 || auth.oidc, 'no way to authenticate: give auth.tokens, auth.oidc, or both'),
  roles: z.strictObject({
    viewer: principals.default([]),
    operator: principals.default([]),
    approver: principals.default([]),
    admin: principals.default([]),
  }),
  runbooks: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a runbook name'),
      z.strictObject({ start: principals.optional(), approve: principals.optional() }),
    )
    .default({}),
});

export type ServeConfig = z.output<typeof serveSchema>;
export type TokenEntry = ServeConfig['auth']['tokens'][number];
export type OidcSettings = NonNullable<ServeConfig['auth']['oidc']>;

// What to do about a wrong value, by its top-level key.
const fixes: Record<string, string> = {
  listen: 'such as listen: 127.0.0.1:8080',
  taskQueue: 'the task queue the workers poll, such as taskQueue: ssmflow',
  catalog: 'such as catalog: ./runbooks (relative to the config file)',
  maxTargets: 'instances a run may touch without confirm (a whole number, default 25)',
  outputBucket: 'the S3 bucket for full command output, or leave it out',
  outputPrefix: 'the key prefix for command output, such as ssmflow/runs',
  publicUrl: 'leave it out, or give the URL people reach the API at',
  auth: 'make a token entry with `ssmflow serve token --identity you@example.com --group GROUP`',
  roles: 'map viewer, operator, approver and admin to lists of groups or user:<identity>',
  runbooks: 'map a runbook name to { start: [groups], approve: [groups] }',
};

/** Parses and checks a config document; `source` names it in errors. Relative paths are from `baseDir`. */
export function parseServeConfig(raw: unknown, source: string, baseDir: string): ServeConfig {
  const parsed = serveSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new ConfigErrors(
      parsed.error.issues.map((issue) => {
        const key = issue.path.map(String).join('.') || '(top level)';
        const unknown = issue.code === 'unrecognized_keys' ? `: ${issue.keys.join(', ')}` : '';
        return new ConfigError(`${key} in ${source}`, `${issue.message}${unknown}`, fixes[String(issue.path[0])] ?? 'see docs/api.md');
      }),
    );
  }
  const config = parsed.data;
  const catalog = resolve(baseDir, config.catalog);
  if (!existsSync(catalog)) throw new ConfigErrors([new ConfigError(`catalog in ${source}`, `"${catalog}" does not exist`, fixes.catalog)]);
  return { ...config, catalog };
}

/** Reads the YAML config file. */
export function loadServeConfig(file: string): ServeConfig {
  const raw = readYamlConfigFile(file, '--config / SSMFLOW_SERVE_CONFIG', 'give the path of a YAML file (see docs/api.md)');
  return parseServeConfig(raw, file, dirname(resolve(file)));
}
