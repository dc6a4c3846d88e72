import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

let tmpCounter = 0;
const tmpName = (path: string) => `${path}.tmp-${process.pid}-${++tmpCounter}`;

/** Writes a JSON file so a reader (or a restarted fleet) sees the old or the new content, never half of it. */
export function writeJsonAtomicSync(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tmpName(path);
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

export function readJsonIfExists<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Coalescing atomic writer: many state changes to one record in a burst become one write of
 * its latest value, and at most one write per file is in flight, so an older value can never
 * overwrite a newer one.
 */
export class AtomicJsonWriter {
  private readonly dirty = new Map<string, () => unknown>();
  private flushing: Promise<void> | undefined;
  private readonly createdDirs = new Set<string>();

  /** Schedules `path` to be written with whatever `snapshot()` returns at write time. */
  schedule(path: string, snapshot: () => unknown): void {
    this.dirty.set(path, snapshot);
    this.flushing ??= this.flushLoop();
  }

  /** Resolves once everything scheduled so far is on disk. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    try {
      while (this.dirty.size > 0) {
        const batch = [...this.dirty];
        this.dirty.clear();
        await Promise.all(batch.map(([path, snapshot]) => this.writeOne(path, snapshot())));
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeOne(path: string, value: unknown): Promise<void> {
    const dir = dirname(path);
    if (!this.createdDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.createdDirs.add(dir);
    }
    const tmp = tmpName(path);
    await writeFile(tmp, JSON.stringify(value));
    await rename(tmp, path);
  }
}
