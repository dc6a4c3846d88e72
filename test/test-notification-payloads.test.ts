// The pieces of a notification that need no server: the two bodies, the links, the signature, and
// the webhook settings a worker refuses to start with.
import { describe, expect, it } from 'vitest';
import { webhookRequest } from '../activities/notifications/deliver-notification.js';
import { eventHeadline, eventLinks, genericJson, slackMessage } from '../activities/notifications/webhook-payloads.js';
import { ConfigErrors, loadSettings } from '../core/config.js';
import type { NotificationEvent } from '../core/notification-event.js';
import { resolveNotificationSettings } from '../core/notification-settings.js';
import { signWebhookBody, verifyWebhookSignature } from '../core/webhook-signature.js';

const paused: NotificationEvent = {
  key: 'pg-a-upgrade:0199:2:paused-on-failure',
  kind: 'paused-on-failure',
  at: '2026-12-04T03:00:00.000Z',
  subject: 'run',
  id: 'pg-a-upgrade',
  runbook: 'postgres-major-upgrade',
  cluster: 'pg-a',
  status: 'paused-on-failure',
  initiator: 'alice@example.com',
  stepId: 'pg-upgrade-check',
  message: 'exit 4 on 1 of 2 instances',
  failedInstances: [{ instanceId: 'i-0a1', statusDetails: 'Failed', exitCode: 4 }],
  actions: ['retry', 'skip', 'rollback', 'abort'],
};

const problemsOf = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigErrors) return err.problems.map((p) => p.message);
    throw err;
  }
  return [];
};

describe('notification payloads', () => {
  it('links to the API for each allowed action, only when the public URL is known', () => {
    expect(eventLinks(paused, undefined)).toBeUndefined();
    expect(eventLinks(paused, 'https://ssmflow.example.com/')).toEqual({
      status: 'https://ssmflow.example.com/v1/runs/pg-a-upgrade',
      actions: {
        retry: 'https://ssmflow.example.com/v1/runs/pg-a-upgrade/retry',
        skip: 'https://ssmflow.example.com/v1/runs/pg-a-upgrade/skip',
        rollback: 'https://ssmflow.example.com/v1/runs/pg-a-upgrade/rollback',
        abort: 'https://ssmflow.example.com/v1/runs/pg-a-upgrade/abort',
      },
    });
    expect(eventLinks({ ...paused, subject: 'rollout', id: 'ro 1', actions: ['approve'] }, 'https://x')?.actions.approve).toBe(
      'https://x/v1/rollouts/ro%201/approve',
    );
  });

  it('Slack: a headline as text, the run in fields, the failure, buttons to the API, the CLI commands and the dedupe key', () => {
    const message = slackMessage(paused, eventLinks(paused, 'https://ssmflow.example.com'));
    expect(message.text).toBe('ssmflow: run pg-a-upgrade (postgres-major-upgrade on pg-a) paused: step pg-upgrade-check failed');
    const blocks = JSON.stringify(message.blocks);
    expect(blocks).toContain('*Cluster*\\npg-a');
    expect(blocks).toContain('i-0a1  Failed  exit 4');
    expect(blocks).toContain('"url":"https://ssmflow.example.com/v1/runs/pg-a-upgrade/retry"');
    expect(blocks).toContain('`ssmflow retry pg-a-upgrade`');
    expect(blocks).toContain('delivery pg-a-upgrade:0199:2:paused-on-failure');
    // Without a public URL: no buttons, still the commands.
    expect(JSON.stringify(slackMessage(paused, undefined).blocks)).not.toContain('"type":"actions"');
  });

  it('says what each kind of event means in one line', () => {
    expect(eventHeadline({ ...paused, kind: 'approval-waiting' })).toBe(
      'run pg-a-upgrade (postgres-major-upgrade on pg-a) waits for approval at step pg-upgrade-check',
    );
    expect(eventHeadline({ ...paused, kind: 'run-ended', status: 'rolled-back' })).toMatch(/ended rolled-back$/);
    expect(eventHeadline({ ...paused, kind: 'error-budget-spent', subject: 'rollout', id: 'ro-1', cluster: undefined })).toBe(
      'rollout ro-1 (postgres-major-upgrade) halted: its error budget is spent',
    );
  });

  it('generic JSON: the event, signed over timestamp and body; a changed body, key or old timestamp fails', () => {
    const request = webhookRequest({ name: 'pager', url: 'http://x', format: 'json', secret: 's3cret' }, paused, undefined, 1_780_000_000);
    expect(JSON.parse(request.body)).toEqual(genericJson(paused, undefined));
    expect(request.headers).toMatchObject({
      'x-ssmflow-event': 'paused-on-failure',
      'x-ssmflow-delivery': paused.key,
      'x-ssmflow-timestamp': '1780000000',
      'x-ssmflow-signature': signWebhookBody('s3cret', '1780000000', request.body),
    });
    const check = (body: string, secret = 's3cret', now = 1_780_000_010) =>
      verifyWebhookSignature(secret, '1780000000', body, request.headers['x-ssmflow-signature'] ?? '', { nowSeconds: now });
    expect(check(request.body)).toBe(true);
    expect(check(`${request.body} `)).toBe(false);
    expect(check(request.body, 'other')).toBe(false);
    expect(check(request.body, 's3cret', 1_780_000_000 + 3600)).toBe(false);
    // Slack bodies are not signed (Slack does not check); they carry the key in a header too.
    const slack = webhookRequest({ name: 'chat', url: 'http://x', format: 'slack' }, paused, undefined, 1);
    expect(slack.headers['x-ssmflow-signature']).toBeUndefined();
    expect(slack.headers['x-ssmflow-delivery']).toBe(paused.key);
  });
});

describe('webhook settings', () => {
  it('refuses bad webhooks at worker start, naming which one and how to fix it, never echoing the URL', () => {
    const webhooks = JSON.stringify([
      { name: 'Bad Name', url: 'ftp://hooks.example.com/secret-path', format: 'slack' },
      { name: 'pager', url: 'https://pager.example.com/hook', format: 'json' },
      { name: 'chat', url: 'https://chat.example.com/x', format: 'teams' },
    ]);
    const messages = problemsOf(() => loadSettings({ env: { SSMFLOW_NOTIFICATION_WEBHOOKS: webhooks } }));
    expect(messages).toEqual([
      expect.stringMatching(/^SSMFLOW_NOTIFICATION_WEBHOOKS: \[0\]\.name: lowercase letters/),
      expect.stringMatching(/^SSMFLOW_NOTIFICATION_WEBHOOKS: \[0\]\.url: expected an http\(s\) URL/),
      expect.stringMatching(/^SSMFLOW_NOTIFICATION_WEBHOOKS: \[1\]: a json webhook is signed: give exactly one of secretEnv or secretFile/),
      expect.stringMatching(/^SSMFLOW_NOTIFICATION_WEBHOOKS: \[2\]\.format: expected slack or json/),
    ]);
    expect(messages.join('\n')).not.toContain('secret-path');
  });

  it('reads each HMAC key from its variable or file, and names a missing one', () => {
    const settings = loadSettings({
      env: {
        SSMFLOW_NOTIFICATION_WEBHOOKS: JSON.stringify([
          { name: 'pager', url: 'https://pager.example.com/hook', format: 'json', secretEnv: 'PAGER_KEY' },
        ]),
        SSMFLOW_PUBLIC_URL: 'https://ssmflow.example.com',
        SSMFLOW_NOTIFICATION_DELIVERY_TIMEOUT: '30m',
      },
    });
    expect(resolveNotificationSettings(settings.notifications, { PAGER_KEY: 'k' })).toEqual({
      webhooks: [{ name: 'pager', url: 'https://pager.example.com/hook', format: 'json', secret: 'k' }],
      publicUrl: 'https://ssmflow.example.com',
      deliveryTimeoutMs: 1_800_000,
    });
    expect(problemsOf(() => resolveNotificationSettings(settings.notifications, {}))).toEqual([
      'notifications.webhooks[0] (pager).secretEnv: the variable PAGER_KEY is not set (fix: set it to the HMAC key)',
    ]);
    expect(loadSettings({ env: {} }).notifications).toEqual({ webhooks: [], deliveryTimeout: 86_400_000 });
  });
});
