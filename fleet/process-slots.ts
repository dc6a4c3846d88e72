/** A slot request: `granted` resolves when the process may start; `cancel` withdraws a waiting request. */
export interface SlotRequest {
  granted: Promise<void>;
  cancel(): void;
  release(): void;
}

/**
 * Global cap on concurrently running step processes, so a 2-core machine survives a
 * 1,100-instance command; requests beyond the cap wait in FIFO order.
 */
export class ProcessSlots {
  private running = 0;
  private readonly waiting: { grant: () => void; withdrawn: boolean }[] = [];

  constructor(private readonly max: number) {}

  get inUse(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.filter((w) => !w.withdrawn).length;
  }

  request(): SlotRequest {
    let state: 'waiting' | 'held' | 'done' = 'waiting';
    let entry: { grant: () => void; withdrawn: boolean } | undefined;
    const granted = new Promise<void>((resolve) => {
      const grant = () => {
        state = 'held';
        this.running++;
        resolve();
      };
      if (this.running < this.max) grant();
      else {
        entry = { grant, withdrawn: false };
        this.waiting.push(entry);
      }
    });
    return {
      granted,
      cancel: () => {
        if (state === 'waiting' && entry) {
          entry.withdrawn = true;
          state = 'done';
        }
      },
      release: () => {
        if (state !== 'held') return;
        state = 'done';
        this.running--;
        this.next();
      },
    };
  }

  private next(): void {
    while (this.running < this.max) {
      const w = this.waiting.shift();
      if (!w) return;
      if (!w.withdrawn) w.grant();
    }
  }
}
