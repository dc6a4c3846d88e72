// Fleet throughput: a trivial command over 1,100 tag-targeted instances, several SendCommands.
// Prints invocations completed per second and SendCommand → terminal latency (median, p99).
// Run: npx tsx bench/fleet-throughput.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListCommandsCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { startFleet } from '../fleet/server.js';
import { fleetClient } from '../fleet/test-support.js';

const INSTANCES = 1100;
const COMMANDS = Number(process.env.FLEET_BENCH_COMMANDS ?? 3);
const TERMINAL = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);

const stateDir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
const fleet = await startFleet({
  stateDir,
  config: { instances: [{ count: INSTANCES, idPrefix: 'i-0be', tags: { Fleet: 'bench' } }], maxRunningProcesses: 32 },
});
const ssm = fleetClient(fleet.endpoint, 5);

const started = Date.now();
const latencies: number[] = [];
let failed = 0;
await Promise.all(
  Array.from({ length: COMMANDS }, async (_, n) => {
    const sentAt = Date.now();
    const out = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        Targets: [{ Key: 'tag:Fleet', Values: ['bench'] }],
        MaxConcurrency: '100%',
        Comment: `bench-${n}`,
        Parameters: { commands: ['true'] },
      }),
    );
    const id = out.Command?.CommandId ?? '';
    for (;;) {
      const cmd = (await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands?.[0];
      if (cmd && TERMINAL.has(cmd.Status ?? '')) {
        latencies.push(Date.now() - sentAt);
        if (cmd.Status !== 'Success') failed++;
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }),
);
const seconds = (Date.now() - started) / 1000;
const total = INSTANCES * COMMANDS;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? 0;
const runs = fleet.executions().length;

console.log(`fleet throughput: ${INSTANCES} instances × ${COMMANDS} commands = ${total} invocations in ${seconds.toFixed(2)} s`);
console.log(`  invocations completed per second: ${(total / seconds).toFixed(1)}`);
console.log(`  SendCommand → terminal status (per command): median ${pct(50)} ms, p99 ${pct(99)} ms`);
console.log(`  processes started (journal): ${runs}; commands not Success: ${failed}`);

// The fleet's own per-command overhead: one instance at a time, polled every 20 ms
// (includes the default 300 ms invocation visibility window before delivery).
const single: number[] = [];
for (let n = 0; n < 30; n++) {
  const sentAt = Date.now();
  const out = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: ['i-0be00000000000001'],
      Parameters: { commands: ['true'] },
    }),
  );
  for (;;) {
    const cmd = (await ssm.send(new ListCommandsCommand({ CommandId: out.Command?.CommandId }))).Commands?.[0];
    if (cmd && TERMINAL.has(cmd.Status ?? '')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  single.push(Date.now() - sentAt);
}
single.sort((a, b) => a - b);
const singlePct = (p: number) => single[Math.min(single.length - 1, Math.ceil((p / 100) * single.length) - 1)] ?? 0;
console.log(`  single-instance SendCommand → terminal (30 sequential): median ${singlePct(50)} ms, p99 ${singlePct(99)} ms`);

ssm.destroy();
await fleet.stop();
rmSync(stateDir, { recursive: true, force: true });
