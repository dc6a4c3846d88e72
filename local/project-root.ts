/** The repository root, for locating .tools/, .ssmflow/, runbooks/ and the workflow sources. */
export { packageRoot as projectRoot } from '../core/package-info.js';
