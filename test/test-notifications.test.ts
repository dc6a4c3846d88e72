// Notifications on the real dev server and the local fleet, driven with the CLI; the receivers are
// local HTTP servers. Slack-format and signed JSON webhooks get each event with its content and
// links; a receiver that is down gets them later while the run goes on; a receiver that never
// comes back shows as failed in status; a worker SIGKILLed mid-delivery still ends with one
// notification per event (by its dedupe key); a rollout speaks for its runs.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../core/webhook-signature.js';
import type { NotificationEvent } from '../core/notification-event.js';
import type { NotificationSettings } from '../core/notification-settings.js';
import { fleetClient } from '../fleet/test-support.js';
import { expectExit, runCli } from './harness/cli.js';
import { startCliFleet, type CliFleet } from './harness/cli-fleet.js';
import { eventually } from './harness/eventually.js';
import { blockedGateRunbookYaml, echoRunbookYaml } from './harness/runbook-fixtures.js';
import { recordHistoryIfAsked, uniqueId } from './harness/stack.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from './harness/webhook-receiver.js';
import { spawnWorkerProcess } from './harness/worker-process.js';

const alpha = ['i-0a3000000000000a1', 'i-0a3000000000000a2'];
const beta = ['i-0b3000000000000b1'];
const secret = 'test-hmac-key-0123456789';
const publicUrl = 'https://ssmflow.test.invalid';

interface Notified {
  id: string;
  status: string;
  notifications?: { kind: string; key: string; delivery: string; delivered?: string[]; failed?: { webhook: string; error: string }[] }[];
}

/** The generic JSON events a receiver got on `path`, parsed, with their headers. */
function jsonEvents(
  receiver: WebhookReceiver,
  path = '/hook',
): (NotificationEvent & { links?: { status: string; actions: Record<string, string> } } & { request: ReceivedRequest })[] {
  return receiver.received.filter((r) => r.path === path).map((r) => ({ ...(JSON.parse(r.body) as NotificationEvent), request: r }));
}

/** Slack bodies a receiver got, with the dedupe key read from their last context block. */
function slackMessages(receiver: WebhookReceiver) {
  return receiver.received
    .filter((r) => r.path === '/slack')
    .map((r) => {
      const body = JSON.parse(r.body) as {
        text: string;
        blocks: { type: string; elements?: { text?: string; url?: string }[]; text?: { text: string } }[];
      };
      const context = body.blocks.filter((b) => b.type === 'context').at(-1)?.elements?.[0]?.text ?? '';
      return { body, key: /delivery (\S+)$/.exec(context)?.[1], header: r.headers['x-ssmflow-delivery'] };
    });
}

describe('notifications', () => {
  let fleet: CliFleet;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    const notifications: NotificationSettings = {
      webhooks: [
        { name: 'dba-slack', url: receiver.url('/slack'), format: 'slack' },
        { name: 'pager', url: receiver.url('/hook'), format: 'json', secret },
      ],
      publicUrl,
      deliveryTimeoutMs: 10 * 60_000,
    };
    fleet = await startCliFleet(
      { instances: [...alpha.map((id) => ({ id, tags: { Cluster: 'alpha' } })), ...beta.map((id) => ({ id, tags: { Cluster: 'beta' } }))] },
      { notifications },
    );
  });

  afterAll(async () => {
    await fleet?.dispose();
    await receiver?.close();
  });

  const sandbox = (instanceId: string) => join(fleet.testFleet.stateDir, 'instances', instanceId);
  const status = async (runId: string) => {
    const answer = await fleet.cli('status', runId, '--json');
    return answer.json<Notified & { runId: string }>();
  };

  it('Slack and signed JSON webhooks get paused-on-failure, approval-waiting and run-ended, with the failure, the links and one key per event', async () => {
    const runbook = fleet.writeRunbook('notify-flow', blockedGateRunbookYaml('notify-flow'));
    mkdirSync(sandbox(alpha[1] ?? ''), { recursive: true });
    writeFileSync(join(sandbox(alpha[1] ?? ''), 'blocker'), 'remove me\n');
    const runId = uniqueId('notify-flow');
    const started = await fleet.cli('run', runbook, '-p', 'cluster=alpha', '--id', runId, '--as', 'alice@example.com', '--wait', '--json');
    expectExit(started, 1);

    const paused = await eventually(async () => jsonEvents(receiver).find((e) => e.id === runId && e.kind === 'paused-on-failure'));
    expect(paused).toMatchObject({
      subject: 'run',
      runbook: 'notify-flow',
      cluster: 'alpha',
      status: 'paused-on-failure',
      stepId: 'gate',
      initiator: 'alice@example.com',
      failedInstances: [expect.objectContaining({ instanceId: alpha[1], exitCode: 4 })],
      actions: ['retry', 'skip', 'rollback', 'abort'],
      links: {
        status: `${publicUrl}/v1/runs/${runId}`,
        actions: expect.objectContaining({ retry: `${publicUrl}/v1/runs/${runId}/retry` }),
      },
    });
    // The signature verifies over the raw body; a changed body or another key does not.
    const { request } = paused;
    const timestamp = String(request.headers['x-ssmflow-timestamp']);
    const signature = String(request.headers['x-ssmflow-signature']);
    expect(request.headers['x-ssmflow-event']).toBe('paused-on-failure');
    expect(request.headers['x-ssmflow-delivery']).toBe(paused.key);
    expect(verifyWebhookSignature(secret, timestamp, request.body, signature)).toBe(true);
    expect(verifyWebhookSignature(secret, timestamp, request.body.replace('alice', 'mallory'), signature)).toBe(false);
    expect(verifyWebhookSignature('another-key', timestamp, request.body, signature)).toBe(false);

    const slackPaused = await eventually(async () => slackMessages(receiver).find((m) => m.key === paused.key));
    expect(slackPaused.header).toBe(paused.key);
    expect(slackPaused.body.text).toBe(`ssmflow: run ${runId} (notify-flow on alpha) paused: step gate failed`);
    const slackText = JSON.stringify(slackPaused.body.blocks);
    expect(slackText).toContain(`${alpha[1]}  Failed  exit 4`);
    expect(slackText).toContain(`${publicUrl}/v1/runs/${runId}/retry`);
    expect(slackText).toContain(`ssmflow retry ${runId}`);

    rmSync(join(sandbox(alpha[1] ?? ''), 'blocker'));
    expectExit(await fleet.cli('retry', runId, '--as', 'alice@example.com', '--reason', 'removed the blocker'), 0);
    const asking = await eventually(async () => jsonEvents(receiver).find((e) => e.id === runId && e.kind === 'approval-waiting'));
    expect(asking).toMatchObject({
      stepId: 'approve-finish',
      message: 'Finish alpha?',
      approval: { minApprovals: 1, allowSelfApproval: false },
      actions: ['approve', 'reject', 'rollback', 'abort'],
      links: { actions: expect.objectContaining({ approve: `${publicUrl}/v1/runs/${runId}/approve` }) },
    });
    // Whoever reads it acts at once; the run takes the approval as its wait opens (a retry covers the instant before).
    await eventually(async () => ((await fleet.cli('approve', runId, '--as', 'bob@example.com')).code === 0 ? true : undefined), {
      description: 'the approval to be taken',
    });
    const ended = await eventually(async () => jsonEvents(receiver).find((e) => e.id === runId && e.kind === 'run-ended'));
    expect(ended).toMatchObject({ status: 'succeeded', actions: [] });
    await recordHistoryIfAsked(fleet.stack.client.workflow.getHandle(runId), 'runbook-run-notified');

    // One delivery per event and webhook, each event under its own key, both formats with the same key.
    const keys = jsonEvents(receiver)
      .filter((e) => e.id === runId)
      .map((e) => [e.kind, e.key]);
    expect(keys.map(([kind]) => kind)).toEqual(['paused-on-failure', 'approval-waiting', 'run-ended']);
    expect(new Set(keys.map(([, key]) => key)).size).toBe(3);
    await eventually(async () =>
      slackMessages(receiver).filter((m) => keys.some(([, key]) => key === m.key)).length === 3 ? true : undefined,
    );

    // status (text and JSON) shows where each went.
    const seen = await eventually(async () => status(runId), {
      until: (s) => s.notifications?.length === 3 && s.notifications.every((n) => n.delivery === 'delivered'),
      description: 'every notification delivered in status',
    });
    expect(seen.notifications?.map((n) => [n.kind, n.delivered])).toEqual([
      ['paused-on-failure', ['dba-slack', 'pager']],
      ['approval-waiting', ['dba-slack', 'pager']],
      ['run-ended', ['dba-slack', 'pager']],
    ]);
    expect((await fleet.cli('status', runId)).stdout).toMatch(/notify +paused-on-failure .* → delivered to dba-slack, pager/);
  });

  it('a receiver down for 30 s gets the notification later; the run did not wait; status shows the retries meanwhile', async () => {
    receiver.answerWith(503);
    const runbook = fleet.writeRunbook('notify-echo', echoRunbookYaml('notify-echo'));
    const runId = uniqueId('notify-down');
    const downSince = Date.now();
    try {
      expectExit(await fleet.cli('run', runbook, '-p', 'cluster=beta', '--id', runId, '--wait'), 0);
      const retrying = await eventually(async () => status(runId), {
        until: (s) => s.notifications?.[0]?.delivery === 'retrying',
        description: 'the run-ended notification to be retrying',
      });
      expect(retrying.status).toBe('succeeded');
      expect(retrying.notifications?.[0]?.failed?.[0]?.error).toMatch(/HTTP 503/);
      expect((await fleet.cli('status', runId)).stdout).toMatch(/run-ended .* → retrying \(attempt \d+\): .*HTTP 503/);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - downSince))));
    } finally {
      receiver.answerWith(200);
    }
    const delivered = await eventually(async () => status(runId), {
      until: (s) => s.notifications?.[0]?.delivery === 'delivered',
      description: 'the notification delivered once the receiver is back',
      timeoutMs: 90_000,
    });
    expect(delivered.notifications?.[0]?.delivered).toEqual(['dba-slack', 'pager']);
    const copies = jsonEvents(receiver).filter((e) => e.id === runId);
    expect(copies.filter((e) => e.request.answered === 503).length).toBeGreaterThanOrEqual(2);
    expect(copies.filter((e) => e.request.answered === 200)).toHaveLength(1);
    expect(new Set(copies.map((e) => e.key)).size).toBe(1);
  });

  it('a receiver that never comes back, and one that refuses for good: the delivery fails, status says so, and the run still succeeded', async () => {
    // A port nothing listens on: a receiver that is gone.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    // Its own worker, whose deliveries give up after 4 s.
    const taskQueue = uniqueId('tq-notify-dead');
    const { worker } = await fleet.stack.createWorker({
      taskQueue,
      dependencies: {
        s3: fleet.stack.s3,
        ssm: fleetClient(fleet.testFleet.fleet.endpoint, 3),
        notifications: {
          webhooks: [
            // A revoked Slack URL answers 404: asked once, never again.
            { name: 'revoked', url: receiver.url('/gone'), format: 'slack' },
            { name: 'nowhere', url: `http://127.0.0.1:${closedPort}/hook`, format: 'slack' },
          ],
          deliveryTimeoutMs: 4_000,
        },
      },
    });
    receiver.answerOn('/gone', 404);
    const env = { ...fleet.env, SSMFLOW_TASK_QUEUE: taskQueue };
    const runbook = fleet.writeRunbook('notify-echo', echoRunbookYaml('notify-echo'));
    const runId = uniqueId('notify-dead');
    const failed = await worker.runUntil(async () => {
      expectExit(await runCli(['run', runbook, '-p', 'cluster=beta', '--id', runId, '--wait'], env), 0);
      return eventually(async () => (await runCli(['status', runId, '--json'], env)).json<Notified>(), {
        until: (s) => s.notifications?.[0]?.delivery === 'failed',
        description: 'the delivery to give up',
        timeoutMs: 60_000,
      });
    });
    expect(failed.status).toBe('succeeded');
    expect(failed.notifications?.[0]).toMatchObject({
      kind: 'run-ended',
      delivery: 'failed',
      failed: [
        { webhook: 'nowhere', error: 'fetch failed (ECONNREFUSED)' },
        { webhook: 'revoked', error: 'HTTP 404, not retried' },
      ],
    });
    // The refusal landed (a 404 answered, once) and so did the dead port (connection refused, retried until the timeout).
    expect(receiver.received.filter((r) => r.path === '/gone' && r.body.includes(runId)).map((r) => r.answered)).toEqual([404]);
    const text = await runCli(['status', runId], env);
    expectExit(text, 0);
    expect(text.stdout).toMatch(/run-ended .* → failed: nowhere: /);
  });

  it('a worker SIGKILLed while delivering: the next worker delivers, and every event arrives once by its key', async () => {
    const taskQueue = uniqueId('tq-notify-kill');
    const workerEnv = {
      SSMFLOW_TEST_PRODUCTION_WORKER: '1',
      SSMFLOW_HTTP_ADDRESS: 'off',
      SSMFLOW_SDK_METRICS_ADDRESS: 'off',
      AWS_ENDPOINT_URL_SSM: fleet.testFleet.fleet.endpoint,
      SSMFLOW_WEBHOOK_SECRET: secret,
      SSMFLOW_NOTIFICATION_WEBHOOKS: JSON.stringify([
        { name: 'pager', url: receiver.url('/killed'), format: 'json', secretEnv: 'SSMFLOW_WEBHOOK_SECRET' },
      ]),
    };
    const env = { ...fleet.env, SSMFLOW_TASK_QUEUE: taskQueue };
    const runbook = fleet.writeRunbook('notify-echo', echoRunbookYaml('notify-echo'));
    const runId = uniqueId('notify-kill');
    let worker = await spawnWorkerProcess({ taskQueue, env: workerEnv });
    try {
      receiver.holdNext();
      expectExit(await runCli(['run', runbook, '-p', 'cluster=beta', '--id', runId, '--wait'], env), 0);
      // The worker is delivering run-ended and waits for the receiver's answer: kill it there.
      const first = await eventually(async () => jsonEvents(receiver, '/killed').find((e) => e.id === runId));
      expect(first.request.answered).toBeUndefined();
      expect(worker.output()).not.toContain(secret);
      await worker.kill('SIGKILL');
      // The kill landed while the delivery was in flight: the process died of it, the request never answered.
      expect((await worker.exited).signal).toBe('SIGKILL');
      expect(first.request.answered).toBeUndefined();
      receiver.releaseHeld();
      worker = await spawnWorkerProcess({ taskQueue, env: workerEnv });
      await eventually(async () => (await runCli(['status', runId, '--json'], env)).json<Notified>(), {
        until: (s) => s.notifications?.[0]?.delivery === 'delivered',
        description: 'the next worker to deliver it',
        timeoutMs: 90_000,
      });
    } finally {
      await worker.kill('SIGTERM');
    }
    const copies = jsonEvents(receiver, '/killed').filter((e) => e.id === runId);
    expect(copies.length).toBeGreaterThanOrEqual(2);
    // Deduplicated by key: one event, one notification; the copy after the kill was taken.
    expect(new Set(copies.map((e) => e.key))).toEqual(new Set([copies[0]?.key]));
    expect(copies.map((e) => e.kind)).toEqual(copies.map(() => 'run-ended'));
    expect(copies.at(-1)?.request.answered).toBe(200);
    for (const copy of copies)
      expect(
        verifyWebhookSignature(
          secret,
          String(copy.request.headers['x-ssmflow-timestamp']),
          copy.request.body,
          String(copy.request.headers['x-ssmflow-signature']),
        ),
      ).toBe(true);
  });

  it('a rollout notifies when a wave waits for approval; its runs do not notify one by one', async () => {
    const runbook = fleet.writeRunbook('notify-echo', echoRunbookYaml('notify-echo'));
    const rolloutId = uniqueId('notify-rollout');
    const started = await fleet.cli(
      'rollout',
      'start',
      runbook,
      '--clusters',
      'alpha,beta',
      '--waves',
      '1,100%',
      '--approve-waves',
      '--id',
      rolloutId,
      '--as',
      'alice@example.com',
    );
    expectExit(started, 0);
    const waiting = await eventually(async () =>
      jsonEvents(receiver).find((e) => e.id === rolloutId && e.kind === 'wave-approval-waiting'),
    );
    expect(waiting).toMatchObject({
      subject: 'rollout',
      runbook: 'notify-echo',
      status: 'waiting-approval',
      actions: ['approve', 'pause'],
      links: { status: `${publicUrl}/v1/rollouts/${rolloutId}`, actions: { approve: `${publicUrl}/v1/rollouts/${rolloutId}/approve` } },
    });
    const slack = await eventually(async () => slackMessages(receiver).find((m) => m.key === waiting.key));
    expect(JSON.stringify(slack.body.blocks)).toContain(`ssmflow rollout approve ${rolloutId}`);
    expectExit(await fleet.cli('rollout', 'approve', rolloutId, '--as', 'bob@example.com'), 0);
    const done = await eventually(async () => (await fleet.cli('rollout', 'status', rolloutId, '--json')).json<Notified>(), {
      until: (s) => s.status === 'succeeded',
      description: 'the rollout to succeed',
      timeoutMs: 60_000,
    });
    expect(done.notifications?.map((n) => [n.kind, n.delivery])).toEqual([['wave-approval-waiting', 'delivered']]);
    await recordHistoryIfAsked(fleet.stack.client.workflow.getHandle(rolloutId), 'rollout-notified');
    // The runs it started sent nothing of their own.
    expect(jsonEvents(receiver).filter((e) => e.initiator.startsWith('rollout:'))).toEqual([]);
  });
});
