// Where ../shared/data is: beside the project root in CI and the main checkout, further up from a
// git worktree. Walks up from the project root to the first folder holding shared/data/README.md.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of a file under shared/data (e.g. 'onnx/mnist-cnn.onnx'); throws when there is none. */
export function sharedData(path: string): string {
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'shared', 'data', 'README.md'))) return join(dir, 'shared', 'data', path);
    if (dirname(dir) === dir) throw new Error(`shared/data not found above ${root} (wanted ${path})`);
  }
}
