// Dependencies between top-level folders point one way: CLI (bin) → client → core ← worker →
// activities → aws, with runbook/ the pure library under all of them and workflows/ (deterministic)
// knowing activities and aws only by type. The development stack (local/, fleet/) and test/,
// bench/, scripts/ sit on top; product code never imports them. A plain static scan of the sources.
import { describe, expect, it } from 'vitest';
import { importsOf, sourceFiles, topFolder, type SourceImport } from './harness/source-imports.js';

type Kind = SourceImport['kind'];
const anyKind: readonly Kind[] = ['type', 'static', 'dynamic', 'url'];
const typeOnly: readonly Kind[] = ['type'];

const product = ['bin', 'client', 'api', 'core', 'aws', 'activities', 'worker', 'workflows', 'runbook'] as const;
const everything = [...product, 'local', 'fleet', 'test', 'bench', 'scripts', '(root)'];

/** For each folder, the folders it may import and how. A folder not listed imports nothing outside itself. */
const allowed: Record<string, Record<string, readonly Kind[]>> = {
  bin: { client: anyKind },
  client: { core: anyKind, aws: anyKind, workflows: anyKind, runbook: anyKind },
  // The HTTP API is built on the client's typed API and its --json builders.
  api: { client: anyKind, core: anyKind, workflows: anyKind, runbook: anyKind },
  worker: { core: anyKind, activities: anyKind, aws: anyKind, workflows: anyKind, runbook: anyKind },
  activities: { aws: anyKind, core: anyKind, runbook: anyKind },
  // Workflow code is bundled into Temporal's sandbox: activities and their data types by type only.
  workflows: { activities: typeOnly, aws: typeOnly, runbook: anyKind },
  core: { runbook: anyKind },
  aws: {},
  runbook: {},
  fleet: {},
  local: Object.fromEntries([...product, 'fleet'].map((f) => [f, anyKind])),
  test: Object.fromEntries(everything.map((f) => [f, anyKind])),
  bench: Object.fromEntries(everything.map((f) => [f, anyKind])),
  scripts: Object.fromEntries(everything.map((f) => [f, anyKind])),
  '(root)': Object.fromEntries(everything.map((f) => [f, anyKind])),
};

/** Single imports allowed across a forbidden edge, each with the reason. */
const exceptions: { file: string; target: string; kind: Kind; why: string }[] = [
  {
    file: 'client/commands/worker.ts',
    target: 'worker/run-worker.ts',
    kind: 'dynamic',
    why: '`ssmflow worker` runs a worker in the CLI process',
  },
  {
    file: 'client/commands/codec-server.ts',
    target: 'worker/run-codec-server.ts',
    kind: 'dynamic',
    why: '`ssmflow codec-server` runs the codec server in the CLI process',
  },
  ...['api/serve.ts', 'api/tokens.ts'].map((target) => ({
    file: 'client/actions/serve.ts',
    target,
    kind: 'dynamic' as const,
    why: '`ssmflow serve` runs the HTTP API in the CLI process',
  })),
  {
    file: 'client/cli.ts',
    target: 'local/commands.ts',
    kind: 'url',
    why: 'development commands, loaded only where local/ exists (never in the image)',
  },
  {
    file: 'bin/ssmflow.mjs',
    target: 'dist/client/cli.js',
    kind: 'dynamic',
    why: 'the bin runs the compiled CLI',
  },
  ...['scripts/with-node.mjs', 'scripts/build-freshness.mjs'].map((target) => ({
    file: 'bin/ssmflow.mjs',
    target,
    kind: 'dynamic' as const,
    why: 'in a checkout only: re-run on the bootstrap Node, or from source when dist/ is stale',
  })),
  {
    file: 'fleet/test-support.ts',
    target: 'test/harness/eventually.ts',
    kind: 'static',
    why: 'fleet helpers for tests and benchmarks only; the fleet itself never loads it',
  },
];

const imports = sourceFiles().flatMap(importsOf);

describe('architecture', () => {
  it('finds the imports it checks', () => {
    // A scan that silently finds nothing would pass every rule below.
    expect(imports.filter((i) => topFolder(i.file) === 'client' && topFolder(i.target) === 'core').length).toBeGreaterThan(0);
    expect(imports.some((i) => i.file === 'client/commands/worker.ts' && i.kind === 'dynamic')).toBe(true);
    expect(imports.some((i) => topFolder(i.file) === 'workflows' && i.kind === 'type')).toBe(true);
  });

  it('imports between top-level folders only along the allowed edges', () => {
    const offending = imports
      .filter((i) => {
        const from = topFolder(i.file);
        const to = topFolder(i.target);
        if (from === to) return false;
        if (exceptions.some((e) => e.file === i.file && e.target === i.target && e.kind === i.kind)) return false;
        return !allowed[from]?.[to]?.includes(i.kind);
      })
      .map((i) => `${i.file}: ${i.kind} import '${i.specifier}' (${topFolder(i.file)} → ${topFolder(i.target)} is not allowed)`);
    expect(offending).toEqual([]);
  });

  it('lists every top-level source folder in the rules', () => {
    const folders = new Set(sourceFiles().map(topFolder));
    expect([...folders].filter((f) => !(f in allowed))).toEqual([]);
  });
});
