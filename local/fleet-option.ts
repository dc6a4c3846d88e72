// --fleet of `ssmflow dev` and `ssmflow stack`: the local fleet to run in the process, or the
// external one AWS_ENDPOINT_URL_SSM names.
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { CliInputError } from '../client/cli-errors.js';
import { type FleetConfig, FleetConfigError, loadFleetConfig } from '../fleet/config.js';
import { defaultDevFleetConfigPath, loadDefaultDevFleetConfig } from './local-stack.js';

/** The fleet to start, or the external one AWS_ENDPOINT_URL_SSM names. */
export async function chooseFleet(
  fleetOption: string | undefined,
  command: string,
): Promise<{ config: FleetConfig; isDefault: boolean } | { external: string }> {
  const external = process.env.AWS_ENDPOINT_URL_SSM;
  if (external) {
    if (fleetOption) {
      throw new CliInputError(
        `--fleet ${fleetOption} and AWS_ENDPOINT_URL_SSM=${external} both name a fleet`,
        'unset AWS_ENDPOINT_URL_SSM to let ${command} run the fleet of --fleet, or leave --fleet out to use that endpoint',
      );
    }
    try {
      await fetch(external, { signal: AbortSignal.timeout(5_000) });
    } catch (err) {
      const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliInputError(
        `AWS_ENDPOINT_URL_SSM=${external} does not answer (${reason}); ${command} uses the fleet it names instead of starting one`,
        'unset AWS_ENDPOINT_URL_SSM (it may be left over from the exports of an earlier `ssmflow dev` or `ssmflow stack`), or start that fleet first',
      );
    }
    return { external };
  }
  if (fleetOption === undefined) return { config: loadDefaultDevFleetConfig(), isDefault: true };
  if (!existsSync(fleetOption))
    throw new CliInputError(
      `--fleet ${fleetOption}: no such file`,
      `copy ${relative(process.cwd(), defaultDevFleetConfigPath)} to start one`,
    );
  try {
    return { config: loadFleetConfig(fleetOption), isDefault: false };
  } catch (err) {
    if (err instanceof FleetConfigError)
      throw new CliInputError(
        `--fleet ${fleetOption}: ${err.message}`,
        'see `ssmflow fleet --help` or fleet/README.md for the config reference',
      );
    throw err;
  }
}
