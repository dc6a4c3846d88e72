// The API config `ssmflow stack` gives `ssmflow serve`: where it listens and what it starts are the
// stack's (the port may change between starts); who may call it is the user's to edit. The stack's
// own token (its hash) is kept as the first entry, with the admin role.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { sha256Hex } from '../api/tokens.js';
import { projectRoot } from './project-root.js';

/** The group the stack's own API token is in; the config gives it the admin role. */
export const STACK_API_GROUP = 'stack-admins';

export interface StackServeSettings {
  port: number;
  taskQueue: string;
  outputBucket: string;
  /** Whom the stack's token identifies (the person who started the stack). */
  identity: string;
  token: string;
}

type Entry = Record<string, unknown>;
const HEADER = `# ssmflow stack rewrites listen, publicUrl, taskQueue, catalog and outputBucket at each start.
# auth, roles, runbooks and maxTargets are yours: add callers (ssmflow serve token), then restart
# the stack. The first token entry is the stack's own (its token is in api-token).
`;

const isEntry = (value: unknown): value is Entry => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Writes (or rewrites) the stack's serve config, keeping what the user set. */
export function writeStackServeConfig(file: string, settings: StackServeSettings): void {
  let previous: Entry = {};
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(
        `${file} is not valid YAML (${(err as Error).message.split('\n')[0]}); fix it, or delete it to start from the stack's own config`,
        {
          cause: err,
        },
      );
    }
    if (parsed !== null && parsed !== undefined && !isEntry(parsed))
      throw new Error(`${file} does not hold a YAML mapping; fix it, or delete it to start from the stack's own config`);
    previous = parsed ?? {};
  }
  const ownHash = sha256Hex(settings.token);
  const auth = isEntry(previous.auth) ? previous.auth : {};
  const listed: unknown[] = Array.isArray(auth.tokens) ? auth.tokens : [];
  // The stack's entry is the first one; a lost api-token file leaves an entry of an older token there.
  const others = listed.filter(
    (entry, index) =>
      !(
        isEntry(entry) &&
        (entry.sha256 === ownHash || (index === 0 && Array.isArray(entry.groups) && entry.groups.includes(STACK_API_GROUP)))
      ),
  );
  const roles = isEntry(previous.roles) ? { ...previous.roles } : {};
  const admins = Array.isArray(roles.admin) ? (roles.admin as unknown[]) : [];
  roles.admin = admins.includes(STACK_API_GROUP) ? admins : [STACK_API_GROUP, ...admins];
  const url = `http://127.0.0.1:${settings.port}`;
  const config = {
    listen: `127.0.0.1:${settings.port}`,
    publicUrl: url,
    taskQueue: settings.taskQueue,
    catalog: join(projectRoot, 'runbooks', 'examples'),
    outputBucket: settings.outputBucket,
    ...(previous.maxTargets !== undefined ? { maxTargets: previous.maxTargets } : {}),
    auth: {
      ...auth,
      tokens: [{ identity: settings.identity, groups: [STACK_API_GROUP], sha256: ownHash }, ...others],
    },
    roles,
    ...(previous.runbooks !== undefined ? { runbooks: previous.runbooks } : {}),
  };
  writeFileSync(file, `${HEADER}${stringify(config)}`);
}
