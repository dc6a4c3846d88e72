import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One started step process: the proof of what ran where, and how often. */
export interface ExecutionRecord {
  /** Unique per started process. */
  executionId: string;
  commandId: string;
  instanceId: string;
  comment: string;
  documentName: string;
  /** The document step (PluginName) this process ran. */
  stepName: string;
  /** ISO-8601 timestamps. */
  startedAt: string;
  endedAt?: string;
  exitCode?: number;
  /** `running` until the process ends, then the step's status: Success, Failed, TimedOut, Cancelled. */
  status: 'running' | 'Success' | 'Failed' | 'TimedOut' | 'Cancelled';
}

interface ExecutionEnd {
  executionId: string;
  endedAt: string;
  exitCode: number;
  status: ExecutionRecord['status'];
}

function readLines<T>(path: string): T[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // A torn last line from a crash mid-append: the process start it described is unknown.
    }
  }
  return out;
}

/**
 * The execution journal: `executions.jsonl` gets exactly one line per started process, written
 * synchronously before the process can do anything; how it ended goes to
 * `execution-results.jsonl`. `list()` merges both into one record per process.
 */
export class ExecutionJournal {
  private readonly records: ExecutionRecord[] = [];
  private readonly byId = new Map<string, ExecutionRecord>();
  private readonly startsPath: string;
  private readonly endsPath: string;

  constructor(stateDir: string) {
    this.startsPath = join(stateDir, 'executions.jsonl');
    this.endsPath = join(stateDir, 'execution-results.jsonl');
    for (const r of readLines<ExecutionRecord>(this.startsPath)) {
      this.records.push(r);
      this.byId.set(r.executionId, r);
    }
    for (const end of readLines<ExecutionEnd>(this.endsPath)) {
      const r = this.byId.get(end.executionId);
      if (r) Object.assign(r, { endedAt: end.endedAt, exitCode: end.exitCode, status: end.status });
    }
  }

  started(record: Omit<ExecutionRecord, 'status'>): void {
    const full: ExecutionRecord = { ...record, status: 'running' };
    appendFileSync(this.startsPath, JSON.stringify(full) + '\n');
    this.records.push(full);
    this.byId.set(full.executionId, full);
  }

  ended(executionId: string, exitCode: number, status: ExecutionRecord['status']): void {
    const end: ExecutionEnd = { executionId, endedAt: new Date().toISOString(), exitCode, status };
    appendFileSync(this.endsPath, JSON.stringify(end) + '\n');
    const r = this.byId.get(executionId);
    if (r) Object.assign(r, { endedAt: end.endedAt, exitCode, status });
  }

  list(): ExecutionRecord[] {
    return this.records.map((r) => ({ ...r }));
  }
}
