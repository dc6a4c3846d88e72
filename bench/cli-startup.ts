// bench/cli-startup: how long the compiled `ssmflow` takes to start, as a person at a shell sees it.
// Runs `/usr/bin/time -f %e node bin/ssmflow.mjs …` for `--help`, `validate` of a shipped runbook
// and `status --help` (a command that talks to Temporal, asked only for its help), plus `node -e 0`
// as the floor Node itself sets. One warm-up run each, then --runs rounds, each round running every
// command once (so a busy moment on the machine hits all of them alike). Prints min / median / max
// per command; never a pass/fail (test/test-cli-startup.test.ts checks what start-up loads).
//
//   npx tsx bench/cli-startup.ts [--runs 15] [--root DIR]
//
// Measures the Node that runs it. Refuses to measure when dist/ is stale: the bin would run the
// sources through tsx instead (it says "running from source"), which is not what users run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatColumns } from '../client/output/table.js';
import { projectRoot } from '../local/project-root.js';

const USAGE = `usage: npx tsx bench/cli-startup.ts [options]

  --runs 15              timed runs per command (after one warm-up run each)
  --root DIR             the checkout whose bin/ssmflow.mjs and dist/ to measure (default: this one)
  --help                 this text
`;

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    root: { type: 'string', default: projectRoot },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const runs = Number(args.runs);
const root = resolve(args.root);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`bad arguments: --runs must be a whole number of at least 1\n${USAGE}`);
  process.exit(2);
}
const TIME = '/usr/bin/time';
const missing: [path: string, what: string][] = [
  [TIME, 'GNU time (apt-get install time)'],
  [resolve(root, 'bin', 'ssmflow.mjs'), `a checkout with bin/ssmflow.mjs at ${root}`],
];
for (const [path, what] of missing.filter(([path]) => !existsSync(path))) {
  process.stderr.write(`cli-startup: ${path} is missing: needs ${what}\n`);
  process.exit(2);
}

const bin = ['bin/ssmflow.mjs'];
const commands: { label: string; argv: string[] }[] = [
  { label: 'ssmflow --help', argv: [...bin, '--help'] },
  { label: 'ssmflow validate runbooks/rolling-restart.yaml', argv: [...bin, 'validate', 'runbooks/rolling-restart.yaml'] },
  { label: 'ssmflow status --help', argv: [...bin, 'status', '--help'] },
  { label: '(node -e 0: Node alone)', argv: ['-e', '0'] },
];

/** Wall-clock seconds of one run, as /usr/bin/time reports them; throws when the run is not the compiled CLI's. */
function timeOnce(argv: string[]): number {
  const run = spawnSync(TIME, ['-f', '%e', process.execPath, ...argv], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const lines = (run.stderr ?? '').trim().split('\n');
  const fromSource = lines.find((line) => line.includes('running from source'));
  if (fromSource) {
    throw new Error(
      `dist/ in ${root} is not current, so the bin ran the sources through tsx instead:\n  ${fromSource}\n` +
        'build it first (node scripts/build.mjs), then measure again',
    );
  }
  const seconds = Number(lines.at(-1));
  if (run.status !== 0 || lines.length !== 1 || !Number.isFinite(seconds))
    throw new Error(`node ${argv.join(' ')} exited ${run.status ?? run.signal}:\n${lines.join('\n')}`);
  return seconds;
}

const loadBefore = loadavg();
const samples: number[][] = commands.map(() => []);
try {
  for (const command of commands) timeOnce(command.argv);
  for (let round = 0; round < runs; round++) commands.forEach((command, i) => samples[i]?.push(timeOnce(command.argv)));
} catch (err) {
  process.stderr.write(`cli-startup: ${(err as Error).message}\n`);
  process.exit(1);
}

const s = (seconds: number | undefined) => `${(seconds ?? NaN).toFixed(2)} s`;
const rows = commands.map((command, i) => {
  const sorted = [...(samples[i] ?? [])].sort((a, b) => a - b);
  return [command.label, s(sorted[0]), s(sorted[Math.floor((sorted.length - 1) / 2)]), s(sorted.at(-1))];
});
const load = (averages: number[]) => averages.map((l) => l.toFixed(2)).join(' ');
console.log(`CLI start-up in ${root}: Node ${process.version}, ${cpus().length} CPUs, ${runs} runs per command after 1 warm-up`);
console.log(`load average (1, 5, 15 min) before: ${load(loadBefore)}, after: ${load(loadavg())}`);
console.log(formatColumns([['command', 'min', 'median', 'max'], ...rows]).join('\n'));
