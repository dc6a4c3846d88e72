// `ssmflow serve` and `ssmflow serve token` (defined in commands/serve.ts). The server lives in
// api/, loaded only by this command.
import { stringify } from 'yaml';
import { CliInputError } from '../cli-errors.js';
import type { ServeFlags, TokenFlags } from '../commands/serve.js';

export async function serveAction(flags: ServeFlags): Promise<void> {
  if (!flags.config)
    throw new CliInputError('serve needs its config: --config FILE (or SSMFLOW_SERVE_CONFIG)', 'see docs/api.md for an example serve.yaml');
  const { serveApi } = await import('../../api/serve.js');
  await serveApi(flags.config, flags);
}

export async function serveTokenAction(flags: TokenFlags): Promise<void> {
  const { newToken, sha256Hex } = await import('../../api/tokens.js');
  const token = newToken();
  const entry = stringify([{ identity: flags.identity, groups: flags.group, sha256: sha256Hex(token) }], { flow: false });
  process.stdout.write(
    `token (shown once; give it to ${flags.identity}, keep it out of files and shell history):\n  ${token}\n\n` +
      `add under auth.tokens in the serve config:\n${entry
        .split('\n')
        .filter(Boolean)
        .map((line) => `  ${line}`)
        .join('\n')}\n`,
  );
}
