import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readSync, closeSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type FaultInjector } from './faults.js';
import { type FleetInstances } from './instances.js';
import { type ExecutionJournal, type ExecutionRecord } from './journal.js';
import { STDERR_LIMIT, STDOUT_LIMIT, outputKey, truncateStream } from './output.js';
import { type ParameterStore } from './parameter-store.js';
import { type ProcessSlots, type SlotRequest } from './process-slots.js';
import {
  type CommandRecord,
  type InvocationDetail,
  type InvocationRecord,
  type PluginRecord,
  type PluginStatus,
  STATUS_OF_DETAIL,
} from './records.js';
import { type S3OutputUploader } from './s3-output.js';
import { resolveSsmReferences } from './ssm-references.js';
import { type StepProcess, startStepProcess } from './step-process.js';

/** Exit codes with a meaning to the agent on Linux. */
const EXIT_KILLED = 137;
const EXIT_SUCCESS_AND_STOP = 168;
const EXIT_FAILURE_AND_STOP = 169;
const EXIT_REBOOT = 194;
/** A script that keeps asking for reboots is re-run at most this often (the real agent has no cap). */
const MAX_REBOOTS = 10;

interface RunControl {
  cancelled: boolean;
  /** The fleet is stopping: stop without reporting anything (like an agent that died). */
  abandoned: boolean;
  process?: StepProcess;
  slot?: SlotRequest;
  wake?: () => void;
}

export interface AgentHost {
  stateDir: string;
  region: string;
  instances: FleetInstances;
  faults: FaultInjector;
  slots: ProcessSlots;
  journal: ExecutionJournal;
  parameters: ParameterStore;
  s3: S3OutputUploader;
  /** Milliseconds per SSM second (test time scale). */
  millisPerSecond: number;
  /** Put first on every step's PATH: the sandbox tools (the `aws` stand-in). */
  binDir?: string;
  save(inv: InvocationRecord): void;
  /** The invocation reached a terminal status. */
  finished(cmd: CommandRecord, inv: InvocationRecord): void;
}

const tagEnvName = (key: string) => `FLEET_TAG_${key.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

function readHead(path: string, limit: number): Buffer {
  try {
    const size = statSync(path).size;
    const buf = Buffer.alloc(Math.min(size, limit));
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
    return buf;
  } catch {
    return Buffer.alloc(0);
  }
}

/** The instance side: what amazon-ssm-agent does with a delivered command, on a sandbox directory. */
export class FleetAgent {
  private readonly runs = new Map<string, RunControl>();
  /** The fleet's own endpoint, known once the server listens; steps get it as AWS_ENDPOINT_URL_SSM. */
  private endpoint: string | undefined;

  constructor(private readonly host: AgentHost) {}

  /** Tells the agent where the fleet listens, so steps (and the `aws` stand-in) can call it. */
  setEndpoint(endpoint: string): void {
    this.endpoint = endpoint;
  }

  sandboxDir(instanceId: string): string {
    return join(this.host.stateDir, 'instances', instanceId);
  }

  private key(inv: InvocationRecord): string {
    return `${inv.commandId}/${inv.instanceId}`;
  }

  isRunning(inv: InvocationRecord): boolean {
    return this.runs.has(this.key(inv));
  }

  /** CancelCommand reached the agent: kill a running process (→ Cancelling → Cancelled) or stop before it starts. */
  cancel(inv: InvocationRecord): void {
    const control = this.runs.get(this.key(inv));
    if (!control || control.cancelled) return;
    control.cancelled = true;
    if (control.process) {
      inv.status = 'Cancelling';
      inv.statusDetails = 'Cancelling';
      this.host.save(inv);
      control.process.kill('cancel');
    } else {
      control.slot?.cancel();
      control.wake?.();
    }
  }

  /** Kills the invocation's process without reporting (command expiry or fleet shutdown). */
  abandon(inv: InvocationRecord): void {
    const control = this.runs.get(this.key(inv));
    if (!control) return;
    control.abandoned = true;
    control.slot?.cancel();
    control.wake?.();
    control.process?.kill('shutdown');
  }

  abandonAll(): void {
    for (const control of this.runs.values()) {
      control.abandoned = true;
      control.slot?.cancel();
      control.wake?.();
      control.process?.kill('shutdown');
    }
  }

  private sleep(ms: number, control: RunControl): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((done) => {
      const timer = setTimeout(() => {
        control.wake = undefined;
        done();
      }, ms);
      control.wake = () => {
        clearTimeout(timer);
        control.wake = undefined;
        done();
      };
    });
  }

  /** Runs a delivered invocation to its end; the host hears about it through save() and finished(). */
  run(cmd: CommandRecord, inv: InvocationRecord): void {
    const control: RunControl = { cancelled: false, abandoned: false };
    this.runs.set(this.key(inv), control);
    this.execute(cmd, inv, control)
      .catch((err: unknown) => {
        if (control.abandoned) return;
        for (const p of inv.plugins) {
          if (p.status === 'Pending' || p.status === 'InProgress')
            this.endPlugin(p, 'Failed', 'Failed', 1, `${p.stderr}fleet agent error: ${(err as Error).message}`);
        }
        this.conclude(cmd, inv, control);
      })
      .finally(() => this.runs.delete(this.key(inv)));
  }

  private endPlugin(p: PluginRecord, status: PluginStatus, details: string, code: number, stderr?: string): void {
    p.status = status;
    p.statusDetails = details;
    p.responseCode = code;
    p.finishedAt ??= Date.now();
    if (stderr !== undefined) p.stderr = stderr;
  }

  private async execute(cmd: CommandRecord, inv: InvocationRecord, control: RunControl): Promise<void> {
    const faults = this.host.faults.forInstance(inv.instanceId);
    await this.sleep(faults.slowStartMs ?? 0, control);
    if (control.abandoned) return;
    if (control.cancelled) return this.cancelRemaining(cmd, inv, control);

    // The agent resolves {{ssm:…}} on the node, after parameter substitution.
    const texts = cmd.steps.flatMap((s) => [...s.commands, s.workingDirectory]);
    const resolved = resolveSsmReferences(texts, this.host.parameters);
    if ('error' in resolved) {
      for (const p of inv.plugins) this.endPlugin(p, 'Failed', 'Failed', 1, resolved.error);
      return this.conclude(cmd, inv, control);
    }
    let cursor = 0;
    const steps = cmd.steps.map((s) => {
      const commands = resolved.values.slice(cursor, cursor + s.commands.length);
      const workingDirectory = resolved.values[cursor + s.commands.length] ?? '';
      cursor += s.commands.length + 1;
      return { ...s, commands, workingDirectory };
    });

    let stopRemaining = false;
    for (const [i, step] of steps.entries()) {
      const plugin = inv.plugins[i];
      if (!plugin || plugin.status !== 'Pending') continue;
      if (stopRemaining) {
        // 168/169 or onFailure/onSuccess: exit — later steps are skipped, which counts as success.
        this.endPlugin(plugin, 'Success', 'Skipped', 0);
        continue;
      }
      const outcome = await this.runStep(cmd, inv, control, plugin, step);
      if (outcome === 'abandoned') return;
      if (control.cancelled) return this.cancelRemaining(cmd, inv, control);
      if (outcome === 'stop') stopRemaining = true;
      const ended = plugin.status as PluginStatus;
      const failed = ended === 'Failed' || ended === 'TimedOut';
      if ((failed && step.onFailure === 'exit') || (!failed && step.onSuccess === 'exit')) stopRemaining = true;
      this.host.save(inv);
    }
    this.conclude(cmd, inv, control);
  }

  private cancelRemaining(cmd: CommandRecord, inv: InvocationRecord, control: RunControl): void {
    for (const p of inv.plugins) {
      if (p.status === 'Pending' || p.status === 'InProgress')
        this.endPlugin(p, 'Cancelled', 'Cancelled', p.status === 'Pending' ? -1 : EXIT_KILLED);
    }
    this.conclude(cmd, inv, control);
  }

  private async runStep(
    cmd: CommandRecord,
    inv: InvocationRecord,
    control: RunControl,
    plugin: PluginRecord,
    step: CommandRecord['steps'][number],
  ): Promise<'abandoned' | 'stop' | 'next'> {
    const sandbox = this.sandboxDir(inv.instanceId);
    const stepDir = join(this.host.stateDir, 'orchestration', inv.instanceId, inv.commandId, step.outputDir);
    mkdirSync(sandbox, { recursive: true });
    mkdirSync(stepDir, { recursive: true });
    const scriptPath = join(stepDir, '_script.sh');
    writeFileSync(scriptPath, step.commands.join('\n') + '\n', { mode: 0o700 });
    // Paths are inside the instance: an absolute workingDirectory is taken relative to the sandbox root.
    const cwd = resolve(sandbox, step.workingDirectory.replace(/^\/+/, ''));
    const stdoutPath = join(stepDir, 'stdout');
    const stderrPath = join(stepDir, 'stderr');
    if (!existsSync(cwd)) {
      this.endPlugin(plugin, 'Failed', 'Failed', 1, `Invalid workingDirectory ${step.workingDirectory}, directory doesn't exist.`);
      plugin.startedAt = Date.now();
      return 'next';
    }
    const instance = this.host.instances.get(inv.instanceId);
    const path = process.env.PATH;
    const env: NodeJS.ProcessEnv = {
      // The sandbox tools come first: `aws` is the fleet's Parameter Store stand-in, not a real CLI.
      PATH: this.host.binDir ? (path ? `${this.host.binDir}:${path}` : this.host.binDir) : path,
      HOME: process.env.HOME,
      SSM_COMMAND_ID: inv.commandId,
      AWS_SSM_INSTANCE_ID: inv.instanceId,
      AWS_SSM_REGION_NAME: this.host.region,
      AWS_SSM_PLATFORM_NAME: 'linux',
      AWS_SSM_PLATFORM_VERSION: '2023',
      FLEET_INSTANCE_DIR: sandbox,
      // As an instance role's CLI would be configured, pointed at the fleet; no credentials (none are checked).
      AWS_REGION: this.host.region,
      AWS_DEFAULT_REGION: this.host.region,
      ...(this.endpoint ? { AWS_ENDPOINT_URL_SSM: this.endpoint } : {}),
    };
    for (const [k, v] of Object.entries(instance?.tags ?? {})) env[tagEnvName(k)] = v;

    for (let reboots = 0; ; reboots++) {
      const slot = this.host.slots.request();
      control.slot = slot;
      // A withdrawn request never resolves `granted`, so cancel/abandon wake the wait instead.
      await new Promise<void>((done) => {
        control.wake = done;
        void slot.granted.then(done);
      });
      control.wake = undefined;
      if (control.abandoned) {
        slot.release();
        return 'abandoned';
      }
      if (control.cancelled) {
        slot.release();
        return 'next';
      }
      const proc = startStepProcess({
        scriptPath,
        cwd,
        env,
        stdoutPath,
        stderrPath,
        timeoutMs: step.timeoutSeconds * this.host.millisPerSecond,
      });
      control.process = proc;
      inv.runningPgid = proc.pid;
      plugin.status = 'InProgress';
      plugin.statusDetails = 'InProgress';
      plugin.startedAt ??= Date.now();
      this.host.save(inv);
      const executionId = randomUUID();
      this.host.journal.started({
        executionId,
        commandId: inv.commandId,
        instanceId: inv.instanceId,
        comment: cmd.comment,
        documentName: cmd.documentName,
        stepName: step.name,
        startedAt: new Date().toISOString(),
      });
      const restartAfter = this.host.faults.forInstance(inv.instanceId).agentRestart?.afterMs;
      const restartTimer = restartAfter === undefined ? undefined : setTimeout(() => proc.kill('agentRestart'), restartAfter);
      const result = await proc.done;
      if (restartTimer) clearTimeout(restartTimer);
      slot.release();
      control.slot = undefined;
      control.process = undefined;
      inv.runningPgid = undefined;
      if (control.abandoned) return 'abandoned';

      let status: PluginStatus;
      let details: string;
      let stop = false;
      let code = result.exitCode;
      if (result.killedFor === 'cancel') [status, details, code] = ['Cancelled', 'Cancelled', EXIT_KILLED];
      else if (result.killedFor === 'agentRestart') [status, details, code] = ['Failed', 'Failed', EXIT_KILLED];
      else if (result.killedFor === 'timeout' || code === EXIT_KILLED)
        [status, details, code] = ['TimedOut', 'ExecutionTimedOut', EXIT_KILLED];
      else if (code === 0) [status, details] = ['Success', 'Success'];
      else if (code === EXIT_SUCCESS_AND_STOP) [status, details, stop] = ['Success', 'Success', true];
      else if (code === EXIT_FAILURE_AND_STOP) [status, details, stop] = ['Failed', 'Failed', true];
      else [status, details] = ['Failed', 'Failed'];
      this.host.journal.ended(executionId, code, status as ExecutionRecord['status']);
      if (code === EXIT_REBOOT && !result.killedFor && reboots < MAX_REBOOTS) continue;

      let stderr = truncateStream(readHead(stderrPath, STDERR_LIMIT), STDERR_LIMIT);
      if (result.killedFor === 'agentRestart') {
        stderr += `${stderr ? '\n' : ''}The SSM agent restarted while this command was running; the process was killed.`;
      }
      plugin.stdout = truncateStream(readHead(stdoutPath, STDOUT_LIMIT), STDOUT_LIMIT);
      if (cmd.outputS3BucketName) {
        // The agent uploads once the streams close, before it reports the result.
        for (const [stream, file] of [
          ['stdout', stdoutPath],
          ['stderr', stderrPath],
        ] as const) {
          const key = outputKey(cmd.outputS3KeyPrefix, inv.commandId, inv.instanceId, step.outputDir, stream);
          await this.host.s3.uploadIfNonEmpty(cmd.outputS3BucketName, key, file).catch((err: unknown) => {
            stderr += `${stderr ? '\n' : ''}Failed to upload ${stream} to S3: ${(err as Error).message}`;
          });
        }
      }
      if (control.abandoned) return 'abandoned';
      this.endPlugin(plugin, status, details, code, stderr);
      return stop ? 'stop' : 'next';
    }
  }

  /** The agent's aggregation: Failed > TimedOut > Cancelled > Success; reported once, terminally. */
  private conclude(cmd: CommandRecord, inv: InvocationRecord, control: RunControl): void {
    if (control.abandoned) return;
    const rank: PluginStatus[] = ['Failed', 'TimedOut', 'Cancelled', 'Success'];
    const deciding = [...inv.plugins].sort((a, b) => rank.indexOf(a.status) - rank.indexOf(b.status))[0];
    const detail: InvocationDetail =
      deciding?.status === 'Failed'
        ? 'Failed'
        : deciding?.status === 'TimedOut'
          ? 'ExecutionTimedOut'
          : deciding?.status === 'Cancelled'
            ? 'Cancelled'
            : 'Success';
    inv.statusDetails = detail;
    inv.status = STATUS_OF_DETAIL[detail];
    inv.runningPgid = undefined;
    this.host.save(inv);
    this.host.finished(cmd, inv);
  }
}
