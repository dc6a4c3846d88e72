import { Option, type Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../connection-flags.js';

export interface ServeFlags extends ConnectionFlags {
  config?: string;
}

export interface TokenFlags {
  identity: string;
  group: string[];
}

export function registerServeCommand(program: Command): void {
  const serve = program
    .command('serve')
    .summary('serve the HTTP API: runs, operator actions, rollouts and schedules, with roles')
    .description(
      'Serves an authenticated JSON API over HTTP (docs/api.md; the OpenAPI document at /openapi.json). Callers present a\n' +
        'bearer token from the config (stored only as its SHA-256) or an OIDC token; their identity is recorded as who\n' +
        'acted, and their groups give them roles (viewer, operator, approver, admin). Runs start only from the runbooks in\n' +
        'the configured catalog directory. Temporal must be closed to everyone else: direct access bypasses the API.',
    )
    .addOption(new Option('--config <file>', 'the API config (YAML): listen, catalog, auth, roles').env('SSMFLOW_SERVE_CONFIG'))
    .addHelpText(
      'after',
      `
Examples:
  ssmflow serve token --identity alice@example.com --group dba     # a token, and its entry for the config
  ssmflow serve --config serve.yaml`,
    );
  addConnectionOptions(serve).action(async (flags: ServeFlags) => {
    const { serveAction } = await import('../actions/serve.js');
    await serveAction(flags);
  });
  serve
    .command('token')
    .summary('make a new API token and print it once, with the config entry holding its hash')
    .requiredOption('--identity <who>', 'whom the token identifies (recorded as who acted)')
    .option('--group <name>', 'a group the caller belongs to (repeat for more)', (value: string, all: string[]) => [...all, value], [])
    .action(async (flags: TokenFlags) => {
      const { serveTokenAction } = await import('../actions/serve.js');
      await serveTokenAction(flags);
    });
}
