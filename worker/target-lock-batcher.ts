// Coalesces the lock acquires and releases of one worker process into few Updates to the task
// queue's registry: while one batch is in flight, new requests gather for the next. Temporal admits
// only a handful of in-flight Updates per workflow, so a rollout starting a hundred runs at once
// sent a hundred Updates that mostly waited, timed out and retried; as batches they are a few.
import type { LockBatchAnswer, LockBatchOperation } from '../workflows/target-lock-messages.js';

interface Pending {
  operation: LockBatchOperation;
  resolve(answer: LockBatchAnswer): void;
  reject(err: unknown): void;
}

/** Large enough for a wave of runs, small enough that one Update stays far below payload limits. */
const maxBatchSize = 200;

export class TargetLockBatcher {
  private queue: Pending[] = [];
  private sending = false;

  constructor(private readonly send: (operations: LockBatchOperation[]) => Promise<LockBatchAnswer[]>) {}

  /** Applies one operation in a batch; answers with its own answer, or fails with the batch's error. */
  submit(operation: LockBatchOperation): Promise<LockBatchAnswer> {
    return new Promise((resolve, reject) => {
      this.queue.push({ operation, resolve, reject });
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.sending || this.queue.length === 0) return;
    this.sending = true;
    const batch = this.queue.splice(0, maxBatchSize);
    try {
      const answers = await this.send(batch.map((p) => p.operation));
      batch.forEach((pending, i) => {
        const answer = answers[i];
        if (answer) pending.resolve(answer);
        else pending.reject(new Error(`the lock registry answered ${answers.length} of ${batch.length} operations`));
      });
    } catch (err) {
      // Every operation is idempotent: each activity retries its own.
      for (const pending of batch) pending.reject(err);
    } finally {
      this.sending = false;
      void this.flush();
    }
  }
}
