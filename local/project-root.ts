import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, for locating .tools/, .ssmflow/, runbooks/ and the workflow sources. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
