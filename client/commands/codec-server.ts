// `ssmflow codec-server`: serves /encode and /decode for the Temporal UI (worker/run-codec-server.ts).
import { Option, type Command } from 'commander';

/** The flags as commander gives them (the worker's runCodecServer takes the same shape). */
interface CodecServerFlags {
  config?: string;
  address?: string;
  corsOrigins?: string;
}

export function registerCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .summary('serve /encode and /decode so the Temporal UI can show encrypted run data')
    .description(
      'Decrypts (and encrypts) Temporal payloads with the ssmflow encryption keys, for the Temporal UI\n' +
        '(TEMPORAL_CODEC_ENDPOINT) and the temporal CLI (--codec-endpoint). Anyone who can reach it can read\n' +
        'run data: bind it to loopback or a private network, and set a bearer token or an auth proxy.',
    )
    .addOption(new Option('--config <file>', 'YAML config file (codecServer: and encryption: sections)').env('SSMFLOW_CONFIG'))
    .addOption(new Option('--address <host:port>', 'listen address (default 127.0.0.1:8888)'))
    .addOption(new Option('--cors-origins <origins>', 'comma-separated origins allowed from browsers, e.g. http://localhost:8080'))
    .addHelpText(
      'after',
      `
Environment:
  SSMFLOW_ENCRYPTION_KEYS       id=base64key,... (or SSMFLOW_ENCRYPTION_KEYS_FILE: a YAML file of id: key)
  SSMFLOW_ENCRYPTION_KEY_ID     the key new payloads are encrypted with
  SSMFLOW_CODEC_SERVER_ADDRESS  listen address (overridden by --address)
  SSMFLOW_CODEC_CORS_ORIGINS    browser origins (overridden by --cors-origins)
  SSMFLOW_CODEC_TOKEN / SSMFLOW_CODEC_TOKEN_FILE  require Authorization: Bearer <token>

Example:
  SSMFLOW_ENCRYPTION_KEYS_FILE=/run/secrets/ssmflow-keys.yaml ssmflow codec-server --address 0.0.0.0:8888 --cors-origins http://localhost:8080`,
    )
    .action(async (flags: CodecServerFlags) => {
      // Loaded here, like the worker: other commands need none of the server's code.
      const { runCodecServer } = await import('../../worker/run-codec-server.js');
      await runCodecServer(flags);
    });
}
