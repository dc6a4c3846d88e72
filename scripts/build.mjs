#!/usr/bin/env node
// Builds dist/: the TypeScript compiled by tsc (tsconfig.build.json), the fleet's plain-JS AWS
// stand-in beside it, and the workflow bundle that production workers load instead of running
// webpack at start-up. Records what it built from in dist/.build-info.json.
//
//   node scripts/build.mjs              always rebuilds from a clean dist/
//   node scripts/build.mjs --if-stale   rebuilds only when the sources changed (npm test, npm run demo)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_INFO, sourceState, staleReason } from './build-freshness.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
/** Files tsc does not emit that the compiled code loads from beside itself. */
const ASSETS = ['fleet/aws-standin.mjs'];

function step(what, command, args) {
  const res = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error(
      `build: ${what} failed (exit ${res.status ?? res.signal}); dist/ is incomplete, fix the error above and run npm run build`,
    );
    process.exit(1);
  }
}

const ifStale = process.argv.includes('--if-stale');
const reason = staleReason(root);
if (ifStale && !reason) process.exit(0);

const started = Date.now();
// Taken before compiling, so a file saved during the build leaves dist/ stale rather than wrongly fresh.
const state = sourceState(root);
console.log(`build: ${reason ?? 'full rebuild requested'}; compiling into dist/`);
rmSync(dist, { recursive: true, force: true });
step('tsc', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
for (const asset of ASSETS) {
  // The image builds the product alone, without the local stack's folders.
  if (!existsSync(join(root, dirname(asset)))) continue;
  mkdirSync(dirname(join(dist, asset)), { recursive: true });
  copyFileSync(join(root, asset), join(dist, asset));
}
const bundle = join(dist, 'workflow-bundle.js');
step('workflow bundle', process.execPath, [join(dist, 'worker', 'build-workflow-bundle.js'), bundle]);
writeFileSync(join(root, BUILD_INFO), JSON.stringify({ builtAt: new Date().toISOString(), ...state }, null, 2) + '\n');
const megabytes = (statSync(bundle).size / 1024 / 1024).toFixed(1);
console.log(`build: dist/ ready in ${((Date.now() - started) / 1000).toFixed(1)}s (workflow bundle ${megabytes} MB)`);
