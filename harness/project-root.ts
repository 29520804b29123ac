// The repository's root folder, for modules that read or write files relative to it (.cache/, results/, images/).
// Note: a leaf module with only node imports, so any layer (images/, harness/, bench/) may depend on it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
