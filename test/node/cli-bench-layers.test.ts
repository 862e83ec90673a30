// `iobs bench --suite layers` through the built CLI (dist/cli.js) at a tiny --size: the JSON shape,
// one row per method x pattern, OBC's extrapolation when it is built, and flag errors. Nothing here
// asserts on speed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { layersTable, parseLayersArgs, runLayersBench, syntheticHessian } from '../../src/cli/bench/layers.js';
import { availableMethods } from '../../src/pruning/registry.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function iobs(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 110_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('iobs bench --suite layers', () => {
  it('--json: one result per method x pattern, last stdout line', () => {
    const r = iobs('bench', '--suite', 'layers', '--size', '48', '--rows', '20', '--samples', '96', '--obc-rows', '8', '--iobs-rows', '10', '--json');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const out = JSON.parse(lines[lines.length - 1]);
    expect([out.suite, out.rows, out.cols, out.samples]).toEqual(['layers', 20, 48, 96]);
    expect(out.hessianSeconds).toBeGreaterThan(0);
    const methods = availableMethods();
    expect(out.results.map((x: { method: string; pattern: string }) => `${x.method} ${x.pattern}`)).toEqual([
      ...methods.map((m) => `${m} 50%`),
      ...methods.map((m) => `${m} 2:4`),
    ]);
    for (const row of out.results) {
      expect(Number.isFinite(row.seconds) && row.seconds > 0).toBe(true);
      expect(row.relError > 0 && row.relError < 1).toBe(true);
      expect(row.sparsity).toBeCloseTo(0.5, 2);
      // The peak holds at least W and H (float32) and the pruned weight.
      expect(row.peakBytes).toBeGreaterThanOrEqual(4 * (20 * 48 + 48 * 48 + 20 * 48));
      expect([row.rows, row.cols]).toEqual([20, 48]);
      const subset = row.method === 'obc' ? 8 : row.method === 'iobs' ? 10 : 0;
      if (subset) {
        // Measured on the first rows only, the time scaled to 20 rows and labelled.
        expect([row.extrapolated, row.measuredRows]).toEqual([true, subset]);
        expect(row.seconds).toBeCloseTo((row.measuredSeconds * 20) / subset, 10);
      } else {
        expect([row.extrapolated, row.measuredRows, row.seconds]).toEqual([false, 20, row.measuredSeconds]);
      }
    }
  });

  it('prints a table without --json, --suite=layers form, --methods and --patterns', () => {
    const r = iobs('bench', '--suite=layers', '--size', '32', '--samples', '40', '--methods', 'magnitude', '--patterns', '0.7,4:8');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/method\s+pattern\s+layer\s+seconds\s+rel\. error\s+peak MiB/);
    expect(r.stdout).toMatch(/magnitude\s+70%\s+32x32/);
    expect(r.stdout).toMatch(/magnitude\s+4:8\s+32x32/);
  });

  it.each([
    [['--size', '0'], /--size "0"/],
    [['--size', '30', '--patterns', '2:4,0.5'], /--patterns 2:4: --size 30 is not a multiple of 4/],
    [['--samples', '10', '--size', '32'], /--samples 10: expected at least --size \(32\)/],
    [['--shape', 'mlp'], /--shape "mlp": expected down_proj/],
    [['--iobs-options', '{"iteratons":1}'], /--iobs-options .*did you mean 'iterations'/],
    [['--iobs-options', '[1]'], /--iobs-options "\[1\]": expected a JSON object/],
    [['--shape', 'down_proj', '--size', '64'], /--shape down_proj sets --rows and --size; give one or the other/],
    [['--methods', 'nope'], /unknown method "nope"/],
    [['--patterns', '1.5'], /"1.5" is not a pattern/],
    [['--backend', 'webgpu9'], /--backend "webgpu9"/],
    [['--bogus'], /--bogus/],
    [['--iobs-rows', 'x'], /--iobs-rows "x"/],
  ])('bad flag %j: exit 2, named on stderr, nothing on stdout', (args, message) => {
    const r = iobs('bench', '--suite', 'layers', ...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('unknown suite: exit 2', () => {
    const r = iobs('bench', '--suite', 'gpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--suite "gpu": unknown suite \(known: kernels, layers\)/);
  });

  it('the synthetic H is symmetric positive definite with correlated neighbours', async () => {
    const la = await init({ wasmPaths: new URL('../../dist/', import.meta.url) });
    const acc = await syntheticHessian(la, 40, 120, 7);
    const H = await acc.hessian('float64');
    acc.free();
    const n = 40, h = await la.read(H);
    const diag = Array.from({ length: n }, (_, j) => h[j * n + j]);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(h[i * n + j]).toBe(h[j * n + i]);
    let corr = 0;
    for (let j = 1; j < n; j++) corr += h[j * n + j - 1] / Math.sqrt(diag[j] * diag[j - 1]);
    expect(corr / (n - 1)).toBeGreaterThan(0.3);
    expect(await la.potrf(H)).toBe(0);
    H.free();
  });
});

describe('runLayersBench', () => {
  it('runs a method on a row subset and extrapolates its time, labelled', async () => {
    const la = await init({ wasmPaths: new URL('../../dist/', import.meta.url) });
    const o = parseLayersArgs(['--size', '24', '--rows', '12', '--samples', '30', '--methods', 'magnitude,wanda', '--patterns', '0.5/row']);
    if (o === 'help') throw new Error('unexpected help');
    o.subsetRows = { wanda: 5 };
    const { results } = await runLayersBench(la, o, () => undefined);
    expect(results.map((r) => [r.method, r.measuredRows, r.extrapolated])).toEqual([['magnitude', 12, false], ['wanda', 5, true]]);
    expect(results[1].seconds).toBeCloseTo((results[1].measuredSeconds * 12) / 5, 12);
    expect(results[0].seconds).toBe(results[0].measuredSeconds);
    expect(layersTable(results)).toMatch(/wanda\s+50%\/row\s+12x24\s+.*extrapolated: .* s on 5 rows x 2\.4/);
  });
});
