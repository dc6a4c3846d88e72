import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutputBucket } from '../workflows/index.js';
import { connectTestStack, recordHistoryIfAsked, uniqueId, type TestStack } from './harness/stack.js';

describe('output bucket preflight on the shared dev server and S3 emulator', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await connectTestStack();
  });
  afterAll(async () => stack?.close());

  it('writes, reads back and deletes a probe object through the real S3 client', async () => {
    const bucket = await stack.createBucket('output');
    const { worker, taskQueue } = await stack.createWorker();
    const handle = await stack.client.workflow.start(checkOutputBucket, {
      taskQueue,
      workflowId: uniqueId('check-output-bucket'),
      args: [{ bucket, prefix: 'ssmflow/runs/' }],
    });
    const result = await worker.runUntil(handle.result());

    expect(result.bucket).toBe(bucket);
    expect(result.key).toMatch(/^ssmflow\/runs\/_ssmflow-probe\/[0-9a-f-]{36}$/);
    expect(result.bytes).toBeGreaterThan(0);
    // The probe cleans up after itself: the object is gone and nothing else was left behind.
    await expect(stack.s3.send(new GetObjectCommand({ Bucket: bucket, Key: result.key }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    const listing = await stack.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listing.KeyCount ?? 0).toBe(0);
    await recordHistoryIfAsked(handle, 'check-output-bucket-succeeds');
  });

  it('fails at once, naming the bucket and the fix, when the bucket does not exist', async () => {
    const { worker, taskQueue } = await stack.createWorker();
    const bucket = uniqueId('missing');
    const handle = await stack.client.workflow.start(checkOutputBucket, {
      taskQueue,
      workflowId: uniqueId('check-output-bucket'),
      args: [{ bucket, prefix: 'ssmflow' }],
    });
    const failure = await worker.runUntil(handle.result().catch((err: unknown) => err));
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause?.cause as Error | undefined;
    expect(cause?.message).toContain(`Output bucket ${bucket} does not exist`);
    expect(cause?.message).toContain('SSMFLOW_OUTPUT_BUCKET');
    // Non-retryable: one attempt, not five.
    const history = await handle.fetchHistory();
    const attempts = history.events
      ?.filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes?.attempt);
    expect(attempts).toEqual([1]);
  });
});
