// `iobs prune-layer` end to end through the built CLI (dist/cli.js) on small .npy files: the output
// equals the library's pruneLayer on the same data, --inputs equals --hessian, --json's last line,
// flag errors (non-zero exit, the flag and value named, nothing written), inputs never overwritten;
// and the row-block .npy reader behind --inputs against the whole-file reader.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as lib from '../../dist/index.js';
import { forEachNpyRows } from '../../src/io/npy-rows.js';
import { readNpyFile } from '../../src/io/files.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'iobs-prune-layer-'));
const at = (name: string) => join(dir, name);

function iobs(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'prune-layer', ...args], { encoding: 'utf8', timeout: 60_000, cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

// A 9 x 12 layer, 301 samples of its inputs (odd sizes), and H = XᵀX summed in float64.
const R = 9, C = 12, N = 301;
const rand = rng(42);
const W = Float32Array.from({ length: R * C }, rand);
const X = Float32Array.from({ length: N * C }, () => rand() + 0.3);
const H = new Float64Array(C * C);
for (let p = 0; p < N; p++) for (let i = 0; i < C; i++) for (let j = 0; j < C; j++) H[i * C + j] += X[p * C + i] * X[p * C + j];
writeFileSync(at('W.npy'), lib.formatNpy(W, [R, C]));
writeFileSync(at('X.npy'), lib.formatNpy(X, [N, C]));
writeFileSync(at('H.npy'), lib.formatNpy(H, [C, C]));
const la = await lib.init();

/** What the library gives on the same data (H rounded to the dtype, as the CLI does). */
async function expected(method: 'magnitude' | 'wanda', pattern: lib.Pattern, dtype: 'float32' | 'float64') {
  const Wm = la.fromArray(W, R, C, dtype), Hm = la.fromArray(H, C, C, dtype);
  const r = await lib.pruneLayer(la, Wm, Hm, { pruner: lib.makePruner(method), pattern });
  const out = { weight: await la.read(r.weight), relError: r.relError, sparsity: r.sparsity };
  for (const M of [r.weight, r.mask, Wm, Hm]) M.free();
  return out;
}

async function output(name: string) {
  return readNpyFile(at(name));
}

describe('iobs prune-layer', () => {
  it('--hessian, --json: the output and the summary are the library\'s', async () => {
    const r = iobs('--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda', '--pattern', '2:4', '--out', 'wanda24.npy', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson(r.stdout);
    expect(Object.keys(s).sort()).toEqual(['dampUsed', 'method', 'pattern', 'relError', 'seconds', 'sparsity']);
    const want = await expected('wanda', { kind: 'nm', n: 2, m: 4 }, 'float32');
    expect(s).toMatchObject({ method: 'wanda', pattern: '2:4', sparsity: 0.5, dampUsed: null });
    expect(s.relError).toBe(want.relError);
    expect(typeof s.seconds === 'number' && s.seconds >= 0).toBe(true);
    const got = await output('wanda24.npy');
    expect(got.dtype).toBe('float32');
    expect(got.shape).toEqual([R, C]);
    expect(Array.from(got.data)).toEqual(Array.from(want.weight));
    const mask = la.fromArray(Uint8Array.from(got.data, (v) => (v !== 0 ? 1 : 0)), R, C, 'uint8');
    expect((await lib.maskSummary(la, { kind: 'nm', n: 2, m: 4 }, mask)).fits).toBe(true);
    mask.free();
    expect(r.stderr).toMatch(/wrote wanda24\.npy/);
  });

  it('--start obc: I-OBS from OBC, the library\'s result for iobs({ start: \'obc\' })', async () => {
    const r = iobs('--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'iobs', '--start', 'obc', '--sparsity', '0.5', '--out', 'iobs-obc.npy', '--json');
    expect(r.code, r.stderr).toBe(0);
    const Wm = la.fromArray(W, R, C), Hm = la.fromArray(H, C, C);
    const want = await lib.pruneLayer(la, Wm, Hm, { pruner: lib.iobs({ start: 'obc' }), pattern: '0.5' });
    expect(Array.from((await output('iobs-obc.npy')).data)).toEqual(Array.from(await la.read(want.weight)));
    expect(lastJson(r.stdout).relError).toBe(want.relError);
    for (const M of [Wm, Hm, want.weight, want.mask]) M.free();
  });

  it('--inputs streams X into the same H: same weight as --hessian, relError equal to rounding', async () => {
    for (const [flags, name] of [[['--sparsity', '0.6', '--per-row'], 'pr'], [['--sparsity', '0.45'], 'un'], [['--pattern', '1:3'], 'nm']] as const) {
      const a = iobs('--weight', 'W.npy', '--inputs', 'X.npy', '--method', 'wanda', ...flags, '--out', `in-${name}.npy`, '--json');
      const b = iobs('--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda', ...flags, '--out', `h-${name}.npy`, '--json');
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      expect(Array.from((await output(`in-${name}.npy`)).data)).toEqual(Array.from((await output(`h-${name}.npy`)).data));
      const ea = lastJson(a.stdout).relError as number, eb = lastJson(b.stdout).relError as number;
      expect(Math.abs(ea - eb)).toBeLessThanOrEqual(1e-6 * eb);
      expect(a.stderr).toMatch(/inputs 301\/301 rows/);
    }
  });

  it('--dtype float64, magnitude over the whole layer; without --json a readable line', async () => {
    const r = iobs('--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'magnitude', '--sparsity', '0.7', '--dtype', 'float64', '--out', 'mag.npy');
    expect(r.code, r.stderr).toBe(0);
    const want = await expected('magnitude', { kind: 'unstructured', sparsity: 0.7 }, 'float64');
    expect(r.stdout).toMatch(/^magnitude 70%: relative error [0-9.e-]+, sparsity 69\.44%, damp n\/a, .* s -> mag\.npy\n$/);
    const got = await output('mag.npy');
    expect(got.dtype).toBe('float64');
    expect(Array.from(got.data)).toEqual(Array.from(want.weight));
    expect(want.sparsity).toBe(Math.floor(R * C * 0.7) / (R * C));
  });

  it('flag errors: non-zero exit, the flag and its value named, nothing written', () => {
    writeFileSync(at('W1d.npy'), lib.formatNpy(new Float32Array(5), [5]));
    const Wn = W.slice();
    Wn[13] = NaN;
    writeFileSync(at('Wnan.npy'), lib.formatNpy(Wn, [R, C]));
    const Xn = X.slice();
    Xn[200 * C + 3] = Infinity;
    writeFileSync(at('Xinf.npy'), lib.formatNpy(Xn, [N, C]));
    writeFileSync(at('X5.npy'), lib.formatNpy(new Float32Array(10), [2, 5]));
    const base = ['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda', '--sparsity', '0.5'];
    const unavailable = lib.METHODS.find((m) => !lib.availableMethods().includes(m));
    const cases: [string[], RegExp][] = [
      [['--hessian', 'H.npy', '--method', 'wanda', '--sparsity', '0.5'], /--weight is required/],
      [[...base, '--inputs', 'X.npy'], /give --hessian "H\.npy" or --inputs "X\.npy", not both/],
      [['--weight', 'W.npy', '--method', 'wanda', '--sparsity', '0.5'], /one of --hessian H\.npy or --inputs X\.npy is required/],
      [['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'foo', '--sparsity', '0.5'], /--method "foo": unknown method \(known: magnitude, wanda, sparsegpt, obc, iobs\)/],
      [['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda'], /one of --sparsity S or --pattern N:M is required/],
      [[...base, '--pattern', '2:4'], /give --sparsity "0\.5" or --pattern "2:4", not both/],
      [['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda', '--sparsity', '1'], /--sparsity "1": expected a fraction in \[0, 1\)/],
      [['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda', '--sparsity', 'half'], /--sparsity "half": expected a fraction/],
      [['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda', '--pattern', '2:4', '--per-row'], /--per-row goes with --sparsity, not with --pattern "2:4"/],
      [['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda', '--pattern', '5:4'], /--pattern "5:4": expected N:M with 1 <= N <= M/],
      [['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda', '--pattern', '2:5'], /--pattern 2:5: M = 5 must divide the 12 inputs of --weight "W\.npy"/],
      [['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda', '--pattern', '2:4', '--blocksize', '6'], /--blocksize "6": expected a multiple of M = 4/],
      [[...base, '--damp=-1'], /--damp "-1": expected a number >= 0/],
      [['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'sparsegpt', '--sparsity', '0.5', '--iters', '3'], /--iters "3" does not apply to --method sparsegpt \(it applies to iobs\)/],
      [[...base, '--iters=-1'], /--iters "-1": expected a non-negative integer/],
      [[...base, '--eta', '2'], /--eta "2": expected a step in \(0, 1\]/],
      [[...base, '--start', 'obc'], /--start "obc" does not apply to --method wanda \(it applies to iobs\)/],
      [['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'iobs', '--sparsity', '0.5', '--start', 'iobs'], /--start "iobs": expected one of sparsegpt, obc, wanda, magnitude/],
      [['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'iobs', '--sparsity', '0.5', '--start', 'obc', '--blocksize', '4'], /--blocksize "4" applies to the SparseGPT start; --start obc does not read it/],
      [['--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'iobs', '--sparsity', '0.3', '--start', 'wanda'], /--start .*Wanda compares within rows/],
      [[...base, '--dtype', 'int8'], /--dtype "int8": expected float32 or float64/],
      [[...base, '--bogus'], /unknown flag "--bogus"/],
      [['--weight', 'W1d.npy', '--hessian', 'H.npy', '--method', 'wanda', '--sparsity', '0.5'], /--weight "W1d\.npy": expected a 2-D array, got shape \(5\)/],
      [['--weight', 'Wnan.npy', '--hessian', 'H.npy', '--method', 'wanda', '--sparsity', '0.5'], /--weight "Wnan\.npy": W\[1, 1\] = NaN; expected finite values/],
      [['--weight', 'W.npy', '--hessian', 'X.npy', '--method', 'wanda', '--sparsity', '0.5'], /--hessian "X\.npy": shape \(301, 12\) must be \(12, 12\)/],
      [['--weight', 'W.npy', '--inputs', 'X5.npy', '--method', 'wanda', '--sparsity', '0.5'], /--inputs "X5\.npy": shape \(2, 5\) must be \(samples, 12\)/],
      [['--weight', 'W.npy', '--inputs', 'Xinf.npy', '--method', 'wanda', '--sparsity', '0.5'], /--inputs "Xinf\.npy": X\[200, 3\] = Infinity; expected finite values/],
      [['--weight', 'missing.npy', '--hessian', 'H.npy', '--method', 'wanda', '--sparsity', '0.5'], /--weight "missing\.npy": no such file/],
    ];
    if (unavailable) cases.push([['--weight', 'W.npy', '--hessian', 'H.npy', '--method', unavailable, '--sparsity', '0.5'], new RegExp(`--method "${unavailable}": not available in this build \\(available: magnitude, wanda`)]);
    for (const [args, pattern] of cases) {
      const out = `err-${cases.findIndex((c) => c[0] === args)}.npy`;
      const r = iobs(...args, '--out', out);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(pattern);
      expect(r.stdout).toBe('');
      expect(existsSync(at(out)), args.join(' ')).toBe(false);
    }
    const noOut = iobs(...base);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/--out is required/);
  });

  it('never overwrites an input, also through a symlink', () => {
    const before = readFileSync(at('W.npy'));
    const r = iobs('--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda', '--sparsity', '0.5', '--out', 'W.npy');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--out "W\.npy" is the input --weight "W\.npy"; refusing to overwrite an input/);
    symlinkSync(at('H.npy'), at('H-link.npy'));
    const s = iobs('--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda', '--sparsity', '0.5', '--out', 'H-link.npy');
    expect(s.code).not.toBe(0);
    expect(s.stderr).toMatch(/refusing to overwrite an input/);
    expect(readFileSync(at('W.npy')).equals(before)).toBe(true);
    expect(readFileSync(at('H.npy')).equals(Buffer.from(lib.formatNpy(H, [C, C])))).toBe(true);
  });

  it('--help prints the usage and exits 0', () => {
    const r = iobs('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: iobs prune-layer --weight W\.npy/);
  });
});

describe('forEachNpyRows', () => {
  it('hands out the rows of C-order, Fortran-order and big-endian files in blocks, as the whole-file reader reads them', async () => {
    const rows = 23, cols = 5, data = Float64Array.from({ length: rows * cols }, rand);
    const c = lib.formatNpy(data, [rows, cols]);
    writeFileSync(at('c.npy'), c);
    // Fortran order and big-endian: the same header layout with the flag or descr changed.
    const text = new TextDecoder('latin1').decode(c);
    const headerEnd = c.indexOf(0x0a) + 1;
    const fortranHeader = text.slice(0, headerEnd).replace("'fortran_order': False", "'fortran_order': True ");
    const fBody = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) fBody[j * rows + i] = data[i * cols + j];
    writeFileSync(at('f.npy'), Buffer.concat([Buffer.from(fortranHeader, 'latin1'), Buffer.from(fBody.buffer)]));
    const beBody = Buffer.from(c.subarray(headerEnd));
    beBody.swap64();
    writeFileSync(at('be.npy'), Buffer.concat([Buffer.from(text.slice(0, headerEnd).replace("'<f8'", "'>f8'"), 'latin1'), beBody]));
    for (const name of ['c.npy', 'f.npy', 'be.npy']) {
      const whole = await readNpyFile(at(name));
      expect(Array.from(whole.data)).toEqual(Array.from(data));
      for (const block of [1, 7, 23, 100]) {
        const seen: number[] = [];
        const starts: number[] = [];
        const h = await forEachNpyRows(at(name), block, (x, n, start) => {
          expect(x.length).toBe(n * cols);
          expect(n).toBeLessThanOrEqual(block);
          starts.push(start);
          seen.push(...x);
        });
        expect(h.shape).toEqual([rows, cols]);
        expect(seen).toEqual(Array.from(data));
        expect(starts[0]).toBe(0);
      }
    }
    writeFileSync(at('short.npy'), c.subarray(0, c.length - 8));
    await expect(forEachNpyRows(at('short.npy'), 4, () => {})).rejects.toThrow(/short\.npy: truncated: header says 23x5 float64 \(920 bytes of data\), file has 912/);
    writeFileSync(at('long.npy'), Buffer.concat([Buffer.from(c), Buffer.alloc(3)]));
    await expect(forEachNpyRows(at('long.npy'), 4, () => {})).rejects.toThrow(/long\.npy: trailing data: 3 bytes after the 920 bytes of data/);
    writeFileSync(at('W1d.npy'), lib.formatNpy(new Float32Array(5), [5]));
    await expect(forEachNpyRows(at('W1d.npy'), 4, () => {})).rejects.toThrow(/expected a 2-D array/);
  });
});
