// For local tools (the CLI's `local` commands, scripts): register instances with a running fleet
// over HTTP, as `POST /_fleet/instances` documents in fleet/README.md.
import { type InstanceConfig } from './config.js';
import { type InstanceRegistration } from './registration.js';

export type { InstanceRegistration } from './registration.js';

/** The fleet refused a registration; `field` names what was wrong (e.g. `instances[0].id`) when it was the input. */
export class FleetRegistrationError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'FleetRegistrationError';
  }
}

/**
 * Adds instances to the fleet at `endpoint` (e.g. http://127.0.0.1:4580), or replaces those with
 * a known id. They are targetable as soon as this resolves and survive a restart of the fleet on
 * the same state dir. Returns them as the fleet registered them (defaults filled in).
 */
export async function registerFleetInstances(endpoint: string, instances: readonly InstanceRegistration[]): Promise<InstanceConfig[]> {
  const url = new URL('/_fleet/instances', endpoint);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances }) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new FleetRegistrationError(
      `the local fleet at ${endpoint} does not answer (${cause}); is it running (\`ssmflow dev\` or \`ssmflow fleet\`)?`,
      0,
    );
  }
  const text = await res.text();
  let body: { registered?: InstanceConfig[]; message?: string; field?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not the fleet answering (another server on that port): reported below with the status.
  }
  if (!res.ok || !body.registered) {
    throw new FleetRegistrationError(
      `registering instances with the local fleet at ${endpoint} failed (HTTP ${res.status}): ${body.message ?? (text.slice(0, 200) || 'no answer')}`,
      res.status,
      body.field,
    );
  }
  return body.registered;
}
