#!/usr/bin/env node
// The `ssmflow` command: runs the compiled CLI in dist/. In a checkout whose dist/ is missing or
// older than the sources, it runs the TypeScript sources through tsx instead (same behaviour,
// slower start) and says so; `npm run build` makes it fast again.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MINIMUM_NODE_MAJOR = 22;
const root = fileURLToPath(new URL('..', import.meta.url));
// The TypeScript sources ship in a checkout only (not in the npm package or the image).
const isCheckout = existsSync(new URL('../client/cli.ts', import.meta.url));

if (Number(process.versions.node.split('.')[0]) < MINIMUM_NODE_MAJOR) {
  if (!isCheckout) {
    console.error(
      `ssmflow: needs Node ${MINIMUM_NODE_MAJOR} or newer (24 recommended); this is Node ${process.version}. Install Node 24 and run ssmflow with it.`,
    );
    process.exit(1);
  }
  // A checkout on an old system Node: the bootstrap's packaged Node runs the command instead.
  const { describeRuntime, ensureNodeRuntime, runOnRuntime } = await import('../scripts/with-node.mjs');
  const runtime = ensureNodeRuntime({ say: (line) => console.error(line) });
  console.error(describeRuntime(runtime));
  runOnRuntime(runtime, runtime.path, [fileURLToPath(import.meta.url), ...process.argv.slice(2)]);
} else {
  const stale = isCheckout ? (await import('../scripts/build-freshness.mjs')).staleReason(root) : undefined;
  if (stale) {
    console.error(`ssmflow: ${stale}; running from source (npm run build for a fast start)`);
    const { register } = await import('tsx/esm/api');
    register();
    await import('../client/cli.ts');
  } else {
    await import('../dist/client/cli.js');
  }
}
