// A module-resolution hook that writes the package of every bare specifier resolved in this
// process (import or require, ours or a dependency's) to the file PACKAGES_LOADED_FILE names, one a
// line. Used as `node --import ./record-packages.mjs …` by test-cli-startup.
import { appendFileSync } from 'node:fs';
import { builtinModules, registerHooks } from 'node:module';

const file = process.env.PACKAGES_LOADED_FILE;
if (!file) throw new Error('record-packages.mjs: set PACKAGES_LOADED_FILE to the file to write to');
const builtins = new Set(builtinModules);

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`; undefined for relative paths, URLs and built-ins. */
function packageOf(specifier) {
  if (/^(\.|\/|[a-z]+:)/.test(specifier) || builtins.has(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    const name = packageOf(specifier);
    // Written at once: the CLI ends with process.exit, so nothing may wait for an exit handler.
    if (name) appendFileSync(file, `${name}\n`);
    return nextResolve(specifier, context);
  },
});
