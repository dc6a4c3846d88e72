// The worker's webhooks, ready to deliver: each with its HMAC key read from its variable or file at
// start (a missing key fails the worker there, not the first delivery at 3 a.m.).
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, ConfigErrors, type SsmflowSettings } from './config.js';
import type { NotificationKind } from './notification-event.js';

export interface Webhook {
  name: string;
  url: string;
  format: 'slack' | 'json';
  /** Absent: every kind. */
  events?: NotificationKind[];
  /** The HMAC-SHA256 key of a json webhook. */
  secret?: string;
}

export interface NotificationSettings {
  webhooks: Webhook[];
  publicUrl?: string;
  deliveryTimeoutMs: number;
}

export function resolveNotificationSettings(
  settings: SsmflowSettings['notifications'],
  env: NodeJS.ProcessEnv = process.env,
): NotificationSettings {
  const problems: ConfigError[] = [];
  const names = new Set<string>();
  const webhooks = settings.webhooks.map((hook, index): Webhook => {
    const where = `notifications.webhooks[${index}] (${hook.name})`;
    if (names.has(hook.name))
      problems.push(new ConfigError(where, `the name "${hook.name}" is used twice`, 'give every webhook its own name'));
    names.add(hook.name);
    let secret: string | undefined;
    if (hook.secretEnv) {
      secret = env[hook.secretEnv];
      if (!secret)
        problems.push(new ConfigError(`${where}.secretEnv`, `the variable ${hook.secretEnv} is not set`, 'set it to the HMAC key'));
    } else if (hook.secretFile) {
      if (!existsSync(hook.secretFile))
        problems.push(
          new ConfigError(`${where}.secretFile`, `"${hook.secretFile}" does not exist`, 'give a readable file holding the HMAC key'),
        );
      else secret = readFileSync(hook.secretFile, 'utf8').trim();
    }
    return {
      name: hook.name,
      url: hook.url,
      format: hook.format,
      ...(hook.events ? { events: hook.events } : {}),
      ...(secret ? { secret } : {}),
    };
  });
  if (problems.length) throw new ConfigErrors(problems);
  return { webhooks, ...(settings.publicUrl ? { publicUrl: settings.publicUrl } : {}), deliveryTimeoutMs: settings.deliveryTimeout };
}
