import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AtomicJsonWriter, readJsonIfExists } from './persistence.js';
import { type CommandRecord, type InvocationRecord } from './records.js';

/**
 * Commands and invocations, in memory for speed and on disk (one atomically replaced JSON file
 * per record) so they survive a fleet restart.
 */
export class CommandStore {
  private readonly commands = new Map<string, CommandRecord>();
  private readonly invocations = new Map<string, InvocationRecord[]>();
  /** Commands newest first, the order ListCommands returns them in. */
  private order: string[] = [];
  private readonly writer = new AtomicJsonWriter();
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'commands');
    this.load();
  }

  private load(): void {
    let ids: string[];
    try {
      ids = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const id of ids) {
      const cmd = readJsonIfExists<CommandRecord>(join(this.dir, id, 'command.json'));
      if (!cmd) continue;
      const invs = cmd.targetInstanceIds
        .map((instanceId) => readJsonIfExists<InvocationRecord>(this.invocationPath(id, instanceId)))
        .filter((i): i is InvocationRecord => i !== undefined);
      this.commands.set(id, cmd);
      this.invocations.set(id, invs);
    }
    this.order = [...this.commands.values()].sort((a, b) => b.requestedAt - a.requestedAt).map((c) => c.commandId);
  }

  private invocationPath(commandId: string, instanceId: string): string {
    return join(this.dir, commandId, 'invocations', `${instanceId}.json`);
  }

  add(cmd: CommandRecord, invs: InvocationRecord[]): void {
    this.commands.set(cmd.commandId, cmd);
    this.invocations.set(cmd.commandId, invs);
    this.order.unshift(cmd.commandId);
    this.saveCommand(cmd);
    for (const inv of invs) this.saveInvocation(inv);
  }

  saveCommand(cmd: CommandRecord): void {
    this.writer.schedule(join(this.dir, cmd.commandId, 'command.json'), () => cmd);
  }

  saveInvocation(inv: InvocationRecord): void {
    this.writer.schedule(this.invocationPath(inv.commandId, inv.instanceId), () => inv);
  }

  command(commandId: string): CommandRecord | undefined {
    return this.commands.get(commandId);
  }

  invocationsOf(commandId: string): InvocationRecord[] {
    return this.invocations.get(commandId) ?? [];
  }

  invocation(commandId: string, instanceId: string): InvocationRecord | undefined {
    return this.invocationsOf(commandId).find((i) => i.instanceId === instanceId);
  }

  /** Every command, newest first. */
  allCommands(): CommandRecord[] {
    return this.order.map((id) => this.commands.get(id)).filter((c): c is CommandRecord => c !== undefined);
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }
}
