// Running the built CLI (dist/cli.js) from the whole-model command tests (cli-prune, cli-prune-errors,
// cli-eval, cli-demo): the shipped models and data by absolute path, the exit code and both
// streams of a run, the --json line, the error line, and what a run left in a directory.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../', import.meta.url));
export const cli = join(root, 'dist/cli.js');
export const demo = (...parts: string[]) => join(root, 'demo', ...parts);

/** The shipped models and data. */
export const CNN = demo('models/mnist-cnn.onnx');
export const LLAMA = demo('models/tinystories-llama');
export const MNIST = {
  calib: demo('data/mnist-calib-images-idx3-ubyte.gz'),
  calibLabels: demo('data/mnist-calib-labels-idx1-ubyte.gz'),
  eval: demo('data/mnist-eval-images-idx3-ubyte.gz'),
  evalLabels: demo('data/mnist-eval-labels-idx1-ubyte.gz'),
};
export const STORIES = { calib: demo('data/tinystories-calib.txt'), eval: demo('data/tinystories-eval.txt') };

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js ...args` in `cwd`. */
export function iobs(cwd: string, args: string[], timeout = 120_000): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout, cwd, maxBuffer: 64 * 2 ** 20 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The last stdout line, parsed (the --json summary). */
export function lastJson<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

/** The lines of stderr the command wrote as itself (`iobs prune: ...`), the usage text left out. */
export function commandLines(stderr: string, command: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith(`iobs ${command}: `));
}

/** Files a failed run may leave behind: temporaries (`.name.pid.random.tmp`, folders too). */
export function temps(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.includes('.tmp.'));
}

/** True when python3 can import numpy; otherwise why not (a test skips, except under CI). */
export function numpyMissing(): string {
  const r = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? `python3 -c "import numpy" failed (${r.error?.message ?? r.stderr.trim().split('\n').pop()})` : '';
}
