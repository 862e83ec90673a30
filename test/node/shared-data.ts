// Where shared/data is: beside the project root in CI and the main checkout, further up from a
// git worktree (the first folder above the root holding shared/data/README.md), or where the
// IOBS_SHARED_DATA environment variable points. Tests of the real models and data skip, saying
// why, where there is none (a clone on its own); CI always has it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function find(): string | undefined {
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'shared', 'data', 'README.md'))) return join(dir, 'shared', 'data');
    if (dirname(dir) === dir) break;
  }
  const env = process.env.IOBS_SHARED_DATA;
  return env && existsSync(join(env, 'README.md')) ? env : undefined;
}

/** The shared/data folder, or undefined when there is none. */
export const SHARED_DATA = find();

/** Why data-dependent tests skip, for their describe titles. */
export const NO_SHARED_DATA = SHARED_DATA ? '' : ` (skipped: no shared/data above ${root} and no IOBS_SHARED_DATA)`;

/** Absolute path of a file under shared/data (e.g. 'onnx/mnist-cnn.onnx'); throws when there is none. */
export function sharedData(path: string): string {
  if (!SHARED_DATA) throw new Error(`shared/data not found above ${root} and IOBS_SHARED_DATA is not set (wanted ${path})`);
  return join(SHARED_DATA, path);
}
