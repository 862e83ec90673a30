// The backend registry and init(): priorities, fallbacks with reasons, warnings, bad names,
// and where the .wasm comes from.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import * as lib from '../../dist/index.js';

const fake = (name: string) => async () => ({ name }) as unknown as lib.KernelBackend;
const broken = (why: string) => async (): Promise<lib.KernelBackend> => {
  throw new Error(why);
};

describe('BackendRegistry', () => {
  it('tries backends best first and reports the ones skipped', async () => {
    const r = new lib.BackendRegistry();
    r.register('low', fake('low'), 1);
    r.register('high', broken('no GPU'), 10);
    r.register('mid', fake('mid'), 5);
    expect(r.names()).toEqual(['high', 'mid', 'low']);
    const { backend, skipped } = await r.resolve([]);
    expect(backend.name).toBe('mid');
    expect(skipped).toEqual([{ name: 'high', reason: 'no GPU' }]);
  });

  it('warns when a backend asked for by name was dropped', async () => {
    const r = new lib.BackendRegistry();
    r.register('a', broken('missing feature X'), 10);
    r.register('b', fake('b'), 5);
    const warnings: string[] = [];
    const { backend } = await r.resolve(['a', 'b'], (m) => warnings.push(m));
    expect(backend.name).toBe('b');
    expect(warnings.join()).toMatch(/a \(missing feature X\).*using b/);
  });

  it('tries an auto: false backend only by name, and tells the factory whether it was named', async () => {
    const r = new lib.BackendRegistry();
    const seen: boolean[] = [];
    r.register('gpu', async ({ named }) => {
      seen.push(named);
      return { name: 'gpu' } as unknown as lib.KernelBackend;
    }, 40, { auto: false });
    r.register('cpu', fake('cpu'), 10);
    expect(r.names()).toEqual(['gpu', 'cpu']);
    expect((await r.resolve([])).backend.name).toBe('cpu');
    expect(seen).toEqual([]);
    expect((await r.resolve(['gpu'])).backend.name).toBe('gpu');
    expect(seen).toEqual([true]);
  });

  it('lists every reason when nothing works, and names unknown backends', async () => {
    const r = new lib.BackendRegistry();
    r.register('a', broken('reason A'), 2);
    r.register('b', broken('reason B'), 1);
    await expect(r.resolve([])).rejects.toThrow(/a: reason A; b: reason B/);
    await expect(r.resolve(['gpu'])).rejects.toThrow(/unknown backend "gpu"; known: a, b/);
  });
});

describe('init', () => {
  it('registers webgpu, by name only: init() alone never picks it', async () => {
    expect(lib.defaultRegistry().names()).toEqual(['webgpu', 'wasm-relaxed', 'wasm-simd', 'reference']);
    const la = await lib.init({ warn: () => {} });
    expect(la.backendName).not.toBe('webgpu');
  });

  it('falls back from webgpu to Wasm with a warning that says why when no adapter is allowed', async () => {
    const warnings: string[] = [];
    const noAdapter = { requestAdapter: async () => null };
    const la = await lib.init({ backend: ['webgpu', 'wasm-simd'], gpu: noAdapter, warn: (m) => warnings.push(m) });
    expect(la.backendName).toBe('wasm-simd');
    expect(warnings.join()).toMatch(/webgpu \(no WebGPU adapter \(option gave none\)\).*using wasm-simd/);
    // A malformed option is an error, never a fallback.
    await expect(lib.init({ backend: 'webgpu', gpu: {}, warn: (m) => warnings.push(m) })).rejects.toThrow(/init: argument gpu must be a GPU object with requestAdapter\(\)/);
    await expect(lib.init({ backend: 'webgpu', fallback: 'yes' as never })).rejects.toThrow(/init: argument fallback must be a boolean; got "yes"/);
  });

  it('named alone, webgpu gives way to the best Wasm build with a warning; fallback: false throws instead', async () => {
    const f = lib.probeFeatures();
    const best = f.relaxedSimd ? 'wasm-relaxed' : 'wasm-simd';
    const warnings: string[] = [];
    const noAdapter = { requestAdapter: async () => null };
    const la = await lib.init({ backend: 'webgpu', gpu: noAdapter, warn: (m) => warnings.push(m) });
    expect(la.backendName).toBe(best);
    expect(warnings).toEqual([`iobs: backend webgpu (no WebGPU adapter (option gave none)) unavailable; using ${best}`]);
    la.dispose();
    await expect(lib.init({ backend: 'webgpu', gpu: noAdapter, fallback: false, warn: (m) => warnings.push(m) })).rejects.toThrow(/no backend could be initialised: webgpu: no WebGPU adapter/);
    // A software adapter is refused when the caller does not allow it (it is allowed by name only).
    const software = { requestAdapter: async () => ({ info: { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true }, limits: {} }) };
    await expect(lib.init({ backend: 'webgpu', gpu: software, allowSoftwareAdapter: false, fallback: false })).rejects.toThrow(/only WebGPU adapter is a software one \(google swiftshader \(software\)\)/);
    const w2: string[] = [];
    const la2 = await lib.init({ backend: 'webgpu', gpu: software, allowSoftwareAdapter: false, warn: (m) => w2.push(m) });
    expect(la2.backendName).toBe(best);
    expect(w2.join()).toMatch(/only WebGPU adapter is a software one .*; using wasm-/);
    la2.dispose();
    // A malformed webgpu option is an error naming it, before any backend is tried.
    await expect(lib.init({ backend: 'webgpu', gpu: software, float64MatrixKernels: 'cpu' as never })).rejects.toThrow(/init: argument float64MatrixKernels must be 'gpu' or 'host'; got "cpu"/);
    await expect(lib.init({ backend: 'webgpu', gpu: software, allowSoftwareAdapter: 1 as never })).rejects.toThrow(/init: argument allowSoftwareAdapter must be a boolean; got 1/);
    expect(() => lib.defaultRegistry({ float64MatrixKernels: 'GPU' as never })).toThrow(/defaultRegistry: argument float64MatrixKernels must be 'gpu' or 'host'/);
    expect(() => lib.defaultRegistry({ maxBindingBytes: 1000 })).toThrow(/defaultRegistry: argument maxBindingBytes must be an integer multiple of 256, at least 4096; got 1000/);
    await expect(lib.init({ backend: 'webgpu', gpu: software, maxBindingBytes: 4097 })).rejects.toThrow(/init: argument maxBindingBytes must be/);
    // A host backend named alone still throws when it cannot start (it has no fallback).
    await expect(lib.init({ backend: 'wasm-simd', wasmPaths: '/nonexistent/', warn: (m) => warnings.push(m) })).rejects.toThrow(/wasm-simd: .*nonexistent/);
  });

  it('picks the best Wasm build this engine supports', async () => {
    const la = await lib.init();
    const f = lib.probeFeatures();
    expect(la.backendName).toBe(f.relaxedSimd ? 'wasm-relaxed' : 'wasm-simd');
  });

  it('loads the module from wasmPaths or wasmBinary', async () => {
    const dist = new URL('../../dist/', import.meta.url);
    const a = await lib.init({ backend: 'wasm-simd', wasmPaths: dist });
    const bytes = await readFile(new URL('iobs-simd.wasm', dist));
    const b = await lib.init({ backend: 'wasm-simd', wasmBinary: bytes });
    for (const la of [a, b]) {
      const C = la.matrix(1, 1);
      await la.sgemm(la.fromArray([2], 1, 1), la.fromArray([3], 1, 1), C);
      expect(Array.from(await la.read(C))).toEqual([6]);
    }
  });

  it('fails with the path when the .wasm is missing, and falls back when allowed', async () => {
    await expect(lib.init({ backend: 'wasm-simd', wasmPaths: '/nonexistent/' })).rejects.toThrow(/wasm-simd: .*nonexistent/);
    const warnings: string[] = [];
    const la = await lib.init({ backend: ['wasm-simd', 'reference'], wasmPaths: '/nonexistent/', warn: (m) => warnings.push(m) });
    expect(la.backendName).toBe('reference');
    expect(warnings[0]).toMatch(/wasm-simd/);
  });

  it('rejects bad options by name', async () => {
    await expect(lib.init({ backend: 42 as never })).rejects.toThrow(/init: argument backend/);
    await expect(lib.init(null as never)).rejects.toThrow(/init: argument options/);
  });

  it('moves matrices between backends by staging', async () => {
    const wasm = await lib.init({ backend: 'wasm-simd' });
    const ref = await lib.init({ backend: 'reference' });
    const A = ref.fromArray([1, 2, 3, 4], 2, 2), B = wasm.fromArray([1, 0, 0, 1], 2, 2), C = ref.matrix(2, 2);
    await wasm.sgemm(A, B, C);
    expect(Array.from(await ref.read(C))).toEqual([1, 2, 3, 4]);
  });
});

describe('dispose', () => {
  it('makes later calls on a Wasm backend fail clearly', async () => {
    const la = await lib.init({ backend: 'wasm-simd' });
    const A = la.matrix(1, 1), B = la.matrix(1, 1), C = la.matrix(1, 1);
    la.dispose();
    expect(() => la.matrix(1, 1)).toThrow(/wasm-simd was disposed/);
    // Kernels and reads refuse by rejecting (the facade is async), naming the backend.
    await expect(la.sgemm(A, B, C)).rejects.toThrow(/wasm-simd was disposed/);
    await expect(la.read(A)).rejects.toThrow(/wasm-simd was disposed/);
    expect(() => la.write(A, [1])).toThrow(/wasm-simd was disposed/);
  });
});
