import { type Command } from 'commander';

const HELP = `
The local fleet is a development and test double of AWS SSM Run Command (as LocalStack is for
other services) — never a production path. It serves the SSM JSON 1.1 API on 127.0.0.1 so the
stock AWS SDK, pointed at it with AWS_ENDPOINT_URL_SSM and dummy credentials, runs commands on
local "instances": one sandbox directory each under <state-dir>/instances/<id>/, where commands
run with sh exactly as the SSM agent would run them.

Example config (YAML):

  region: us-east-1
  seed: 7                          # makes injected faults reproducible
  maxRunningProcesses: 32          # global cap on concurrently running commands
  invocationVisibilityDelayMs: 300 # InvocationDoesNotExist window after SendCommand
  instances:
    - id: i-0123456789abcdef0
      tags: { Cluster: pg-a, Role: primary }
    - id: i-0123456789abcdef1
      tags: { Cluster: pg-a, Role: replica }
      faults: { slowStartMs: 500 }
    - count: 100                   # compact form: generated ids
      idPrefix: i-0b
      tags: { Cluster: batch, Name: 'node-{index}' }
  parameters:
    - { name: /db/pg-a/password, type: SecureString, value: s3cret }
  documents:
    - name: Restart-Service
      content: |
        schemaVersion: '2.2'
        parameters: { service: { type: String } }
        mainSteps:
          - action: aws:runShellScript
            name: restart
            inputs: { runCommand: ['echo restarting {{ service }}'] }
  faults:                          # global faults; per instance under instances[].faults
    throttle: { GetCommandInvocation: 0.1 }

Then: export AWS_ENDPOINT_URL_SSM=http://127.0.0.1:<port> AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API=http://127.0.0.1:<port> AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x
Fleet endpoints: GET /_fleet/health, GET /_fleet/executions, GET|POST /_fleet/faults,
GET|POST /_fleet/instances (register instances while it runs: {"instances":[{"id":"i-…","tags":{…}}]}).
\`ssmflow dev\` runs this fleet in its own process; use this command for a fleet alone.
See fleet/README.md for the full reference.
`;

/** Adds `fleet --config FILE --port N --state-dir DIR` to a commander program. */
export function registerFleetCommand(program: Command): Command {
  return program
    .command('fleet')
    .description('Run the local SSM fleet: an SSM Run Command compatible endpoint over sandboxed local instances (dev/test only)')
    .requiredOption('--config <file>', 'fleet config (YAML): instances, documents, parameters, faults')
    .option('--port <n>', 'port on 127.0.0.1 (0 = a free one)', '0')
    .option('--state-dir <dir>', 'where sandboxes, commands and the execution journal live', '.ssmflow/fleet')
    .addHelpText('after', HELP)
    .action(async (opts: { config: string; port: string; stateDir: string }) => {
      // Loaded here: the CLI defines this command on every start, and the fleet's server is large.
      const { startFleet } = await import('./server.js');
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        console.error(`--port must be a port number, got ${opts.port}`);
        process.exitCode = 2;
        return;
      }
      let fleet;
      try {
        fleet = await startFleet({ configPath: opts.config, port, stateDir: opts.stateDir });
      } catch (err) {
        console.error((err as Error).message);
        process.exitCode = 2;
        return;
      }
      console.log(`ssmflow local fleet listening on ${fleet.endpoint} (state in ${fleet.stateDir})`);
      console.log(`AWS_ENDPOINT_URL_SSM=${fleet.endpoint}`);
      console.log(`AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API=${fleet.endpoint}   (cluster discovery by tag)`);
      const shutdown = () => {
        void fleet.stop().then(() => process.exit(0));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
