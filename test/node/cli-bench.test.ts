// `iobs bench` through the built CLI (dist/cli.js, from `node scripts/build.mjs`): the JSON
// shape, flag errors, and --backend. Tiny sizes (hidden --sizes) and a short --min-time keep
// it fast; nothing here asserts on speed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function iobs(...args: string[]) {
  // No --experimental-wasm-relaxed-simd here: the CLI must turn it on by itself.
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 110_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Row {
  kernel: string;
  n: number;
  threads: number;
  backend: string;
  gflops: number;
  seconds: number;
}

function lastJson(stdout: string): { results: Row[]; ratios?: { kernel: string; n: number; peer: string; ratio: number }[] } {
  const lines = stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

const QUICK = ['bench', '--json', '--quick', '--kernels', 'sgemm', '--sizes', '17,33', '--min-time', '0.02'];

describe('iobs bench', () => {
  it('--json prints the results as the last stdout line', () => {
    const r = iobs(...QUICK);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^\{"results":\[/);
    const out = lastJson(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['ratios', 'results']);
    const ours = out.results.filter((x) => x.backend.startsWith('wasm-'));
    // The CLI enables relaxed SIMD itself, so the default backend is the FMA build.
    expect(ours.map((x) => [x.kernel, x.n, x.backend])).toEqual([
      ['sgemm', 17, 'wasm-relaxed'],
      ['sgemm', 33, 'wasm-relaxed'],
    ]);
    for (const row of out.results) {
      expect(Object.keys(row).sort()).toEqual(['backend', 'gflops', 'kernel', 'n', 'seconds', 'threads']);
      expect(row.kernel).toBe('sgemm');
      expect([17, 33]).toContain(row.n);
      expect(row.threads).toBe(1);
      expect(Number.isFinite(row.gflops) && row.gflops > 0).toBe(true);
      expect(Number.isFinite(row.seconds) && row.seconds > 0).toBe(true);
    }
    // plain-js runs everywhere; the other peers only where their packages are.
    const peers = new Set(out.results.map((x) => x.backend));
    expect(peers.has('plain-js')).toBe(true);
    for (const p of peers) expect(['wasm-relaxed', 'numpy-openblas', 'tfjs-wasm', 'plain-js']).toContain(p);
    for (const q of out.ratios!) {
      expect(q.kernel).toBe('sgemm');
      expect(peers.has(q.peer)).toBe(true);
      expect(Number.isFinite(q.ratio) && q.ratio > 0).toBe(true);
    }
    expect(out.ratios!.filter((q) => q.peer === 'plain-js').map((q) => q.n)).toEqual([17, 33]);
  });

  it('--backend reference runs on the reference backend, dgemm too', () => {
    const r = iobs('bench', '--json', '--backend', 'reference', '--kernels', 'sgemm,dgemm', '--peers', 'none', '--sizes', '17', '--min-time', '0.02');
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    expect(out.results.map((x) => [x.kernel, x.n, x.backend])).toEqual([
      ['sgemm', 17, 'reference'],
      ['dgemm', 17, 'reference'],
    ]);
    for (const row of out.results) expect(row.gflops > 0 && Number.isFinite(row.gflops)).toBe(true);
    expect(out.ratios).toEqual([]);
  });

  it.each(['wasm-relaxed', 'reference'])('every kernel entry (await included) runs and passes its check on %s', (backend) => {
    const r = iobs('bench', '--json', '--backend', backend, '--peers', 'none', '--sizes', '17,33', '--min-time', '0.01');
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    const kernels = ['sgemm', 'dgemm', 'spotrf', 'strsm', 'spotri', 'sinvchol', 'ssyrk', 'slammax', 'stopk', 'sdowndate', 'selectMask', 'obsGreedy', 'solveOnSupport', 'await'];
    expect(out.results.map((x) => `${x.kernel}/${x.n}/${x.backend}`)).toEqual(kernels.flatMap((k) => [`${k}/17/${backend}`, `${k}/33/${backend}`]));
    for (const row of out.results) expect(Number.isFinite(row.gflops) && row.gflops > 0 && row.seconds > 0).toBe(true);
    // One run of 'await' is n awaited calls: well under a millisecond each.
    const wait = out.results.find((x) => x.kernel === 'await' && x.n === 33)!;
    expect(wait.seconds / 33).toBeLessThan(1e-3);
  });

  it('prints a table without --json', () => {
    const r = iobs('bench', '--kernels', 'sgemm', '--peers', 'plain-js', '--sizes', '17', '--min-time', '0.02');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kernel\s+n\s+backend\s+GFLOP\/s\s+seconds/);
    expect(r.stdout).toMatch(/sgemm\s+17\s+wasm-relaxed\s.*x plain-js/);
    expect(r.stdout).toMatch(/sgemm\s+17\s+plain-js\s/);
  });

  it.each([
    [['--bogus=3'], /--bogus/, /--bogus=3/],
    [['--kernels', 'sgemm,nope'], /--kernels/, /nope/],
    [['--backend', 'webgpu9'], /--backend/, /webgpu9/],
    [['--sizes', '0,x'], /--sizes/, /0,x/],
  ])('bad flag %j: exit 2, named on stderr, nothing on stdout', (args, flag, value) => {
    const r = iobs('bench', ...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(flag);
    expect(r.stderr).toMatch(value);
  });
});
