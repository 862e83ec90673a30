// bench/layer-table.ts end to end (through scripts/run-ts.mjs) on a small calibration set without the
// accuracy runs: the preprocessing check passes, W.npy / H.npy have the layers' shapes, and the
// document has a table per layer with a row per method. Not a measurement.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpyFile } from '../../src/io/files.js';
import { NO_SHARED_DATA, SHARED_DATA, sharedData } from './shared-data.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!SHARED_DATA)(`bench/layer-table.ts${NO_SHARED_DATA}`, () => {
  it('writes the document and each layer’s W.npy / H.npy', async () => {
    dir = await mkdtemp(join(tmpdir(), 'iobs-layer-table-'));
    const out = join(dir, 'table.md'), layers = join(dir, 'layers');
    const r = spawnSync(process.execPath, [
      'scripts/run-ts.mjs', 'bench/layer-table.ts', '--calibration', '300', '--no-accuracy', '--methods', 'magnitude,wanda',
      '--out', out, '--layers-dir', layers, '--data', join(sharedData('README.md'), '..'),
    ], { cwd: root, encoding: 'utf8', timeout: 110_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/first 2000 digits: top-1 97.35% \(expected 97.35%\)/);
    const doc = await readFile(out, 'utf8');
    expect(doc).toMatch(/^# Layer pruning on real layers: the MNIST CNN/);
    expect(doc).toContain('node scripts/run-ts.mjs bench/layer-table.ts');
    expect(doc).toContain('## fc1 (128×3136)');
    expect(doc).toContain('## fc2 (10×128)');
    expect(doc).toMatch(/Calibration: MNIST test digits 0–299 \(300\)/);
    for (const m of ['magnitude', 'wanda']) {
      expect(doc).toMatch(new RegExp(`\\| ${m} \\| [0-9.e-]+ \\| [0-9.e-]+ \\| [0-9.e-]+ \\|`));
      expect(doc).toMatch(new RegExp(`\\| ${m} \\| 2:4 \\| [0-9.e-]+ \\| [0-9.e-]+ \\| – \\| 50.00% \\| – \\|`));
    }
    const W1 = await readNpyFile(join(layers, 'fc1', 'W.npy'));
    const H1 = await readNpyFile(join(layers, 'fc1', 'H.npy'));
    const H2 = await readNpyFile(join(layers, 'fc2', 'H.npy'));
    expect([W1.shape, H1.shape, H2.shape]).toEqual([[128, 3136], [3136, 3136], [128, 128]]);
    expect(H2.data instanceof Float64Array).toBe(true);
  });
});
