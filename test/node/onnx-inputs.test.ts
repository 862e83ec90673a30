// ONNX models with several graph inputs (and an int64 one): the { inputs: { name: … } } form of
// OnnxSamples through captureLayerHessians, pruneOnnx and onnxTop1, the captured H against a plain
// float64 reference computed here from the inputs, the pruned model run in onnxruntime-node against
// the same computation by hand, the errors for samples that do not fit the graph's inputs, and the
// CLI's NAME=FILE,… form of --calib with its errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { onnx } from 'onnx-proto';
import type * as OrtNode from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import type { Linalg } from '../../src/linalg/linalg.js';
import { formatNpy } from '../../src/io/npy.js';
import { captureLayerHessians, onnxSampleCount, onnxTop1, sliceOnnxSamples, type OnnxRuntime, type OnnxSamples } from '../../src/models/onnx/capture.js';
import { pruneOnnx } from '../../src/models/onnx/prune.js';
import { decodeOnnxModel, readInitializer } from '../../src/models/onnx/reader.js';
import { magnitude } from '../../src/pruning/magnitude.js';
import { sparseGPT } from '../../src/pruning/sparsegpt.js';
import { rng } from '../../src/cli/bench/util.js';

const ortNode = createRequire(import.meta.url)('onnxruntime-node') as typeof OrtNode;
const ort = ortNode as unknown as OnnxRuntime;
const FLOAT = onnx.TensorProto.DataType.FLOAT, INT64 = onnx.TensorProto.DataType.INT64;
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

const randoms = (n: number, r: () => number) => Float32Array.from({ length: n }, () => 2 * r() - 1);
const tensorType = (elemType: number, dims: (number | string)[]) => ({
  tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } },
});
const raw = (name: string, dims: number[], data: Float32Array) => ({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer.slice(0)) });
const modelOf = (graph: onnx.IGraphProto) => onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], graph })).finish();

/** Plain float64 XᵀX. */
function gram(X: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const G = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) G[i * cols + j] += X[r * cols + i] * X[r * cols + j];
  return G;
}

/** Y = X·Wᵀ (+ b) for X [rows, k], W [out, k]. */
function linearT(X: ArrayLike<number>, rows: number, W: ArrayLike<number>, out: number, k: number, b?: ArrayLike<number>): Float64Array {
  const Y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) for (let o = 0; o < out; o++) {
    let s = b ? b[o] : 0;
    for (let i = 0; i < k; i++) s += X[r * k + i] * W[o * k + i];
    Y[r * out + o] = s;
  }
  return Y;
}

/** Y = X·V for X [rows, k], V [k, out]. */
function matmul(X: ArrayLike<number>, rows: number, V: ArrayLike<number>, k: number, out: number): Float64Array {
  const Y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) for (let o = 0; o < out; o++) {
    let s = 0;
    for (let i = 0; i < k; i++) s += X[r * k + i] * V[i * out + o];
    Y[r * out + o] = s;
  }
  return Y;
}

function relDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) { num += (got[i] - want[i]) ** 2; den += want[i] ** 2; }
  expect(got.length).toBe(want.length);
  return Math.sqrt(num / Math.max(den, 1e-300));
}

/** tr(ΔHΔᵀ)/tr(WHWᵀ) for W [rows, cols]. */
function relError(W: ArrayLike<number>, Wp: ArrayLike<number>, H: Float64Array, rows: number, cols: number): number {
  let num = 0, den = 0;
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) {
    const h = H[i * cols + j];
    num += (W[r * cols + i] - Wp[r * cols + i]) * h * (W[r * cols + j] - Wp[r * cols + j]);
    den += W[r * cols + i] * h * W[r * cols + j];
  }
  return num / den;
}

const r0 = rng(7);
const W = randoms(12, r0), c = randoms(3, r0), V = randoms(15, r0), table = randoms(40, r0), G = randoms(12, r0);

/** A [N, 4] + B [N, 4] → Gemm(W [3, 4], c, transB = 1) → h → MatMul(V [3, 5]) → y [N, 5]. */
const addBytes = modelOf({
  name: 'add2',
  node: [
    { opType: 'Add', name: 'add', input: ['A', 'B'], output: ['s'] },
    { opType: 'Gemm', name: 'fc', input: ['s', 'W', 'c'], output: ['h'], attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
    { opType: 'MatMul', name: 'proj', input: ['h', 'V'], output: ['y'] },
  ],
  initializer: [raw('W', [3, 4], W), raw('c', [3], c), raw('V', [3, 5], V)],
  input: [{ name: 'A', type: tensorType(FLOAT, ['N', 4]) }, { name: 'B', type: tensorType(FLOAT, ['N', 4]) }],
  output: [{ name: 'y', type: tensorType(FLOAT, ['N', 5]) }],
});

/** ids [N] (int64) → Gather(table [10, 4]) → e [N, 4] → Gemm(G [3, 4], transB = 1) → y [N, 3]. */
const gatherBytes = modelOf({
  name: 'gather',
  node: [
    { opType: 'Gather', name: 'embed', input: ['table', 'ids'], output: ['e'] },
    { opType: 'Gemm', name: 'head', input: ['e', 'G'], output: ['y'], attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
  ],
  initializer: [raw('table', [10, 4], table), raw('G', [3, 4], G)],
  input: [{ name: 'ids', type: tensorType(INT64, ['N']) }],
  output: [{ name: 'y', type: tensorType(FLOAT, ['N', 3]) }],
});

const N = 37;
const A = randoms(N * 4, rng(11)), B = randoms(N * 4, rng(12));
const S = Float64Array.from(A, (a, i) => Math.fround(a + B[i])); // the Add output, as float32 computes it
const two: OnnxSamples = { inputs: { A: { data: A, sampleShape: [4] }, B: { data: B, sampleShape: [4] } } };
const idsRng = rng(13);
const ids = Int32Array.from({ length: N }, () => Math.floor(idsRng() * 10));

let la: Linalg;
beforeAll(async () => {
  la = await init({ wasmPaths: new URL('../../dist/', import.meta.url) });
});

async function run(bytes: Uint8Array, feeds: Record<string, OrtNode.Tensor>): Promise<Float32Array> {
  const sess = await ortNode.InferenceSession.create(bytes);
  try {
    const out = await sess.run(feeds);
    return out[sess.outputNames[0]].data as Float32Array;
  } finally {
    await sess.release();
  }
}

describe('ONNX models with several graph inputs', () => {
  it('captureLayerHessians: H of the Gemm is (A + B)ᵀ(A + B), H of the MatMul is hᵀh, in uneven batches', async () => {
    const stats = await captureLayerHessians(la, decodeOnnxModel(addBytes), two, { batchSize: 10, ort });
    try {
      expect(stats.map((s) => s.layer.node)).toEqual(['fc', 'proj']);
      const H0 = await la.read(await stats[0].stats.hessian('float64'));
      expect(relDiff(H0, gram(S, N, 4))).toBeLessThan(1e-6);
      const h = linearT(S, N, W, 3, 4, c);
      const H1 = await la.read(await stats[1].stats.hessian('float64'));
      expect(relDiff(H1, gram(h, N, 3))).toBeLessThan(1e-5);
      expect(stats[0].stats.samples).toBe(N);
    } finally {
      for (const s of stats) s.stats.free();
    }
  });

  for (const [label, pruner] of [['magnitude', magnitude()], ['sparsegpt', sparseGPT({ blockSize: 2 })]] as const) {
    it(`pruneOnnx with ${label} at 50%: the Gemm's relative error on the reference H, the pruned model runs as by hand`, async () => {
      const r = await pruneOnnx(la, addBytes, two, { pruner, sparsity: 0.5, batchSize: 8, ort });
      const out = decodeOnnxModel(r.bytes);
      const Wp = readInitializer(out, 'W').data, Vp = readInitializer(out, 'V').data;
      expect(Array.from(Wp).filter((v) => v === 0).length).toBe(6);
      expect(r.layers.map((l) => [l.node, l.calibrationRows])).toEqual([['fc', N], ['proj', N]]);
      // The H pruneOnnx took for fc is the one of A + B: its reported error matches the reference.
      expect(r.layers[0].relError).toBeCloseTo(relError(W, Wp, gram(S, N, 4), 3, 4), 6);
      const y = await run(r.bytes, { A: new ortNode.Tensor('float32', A, [N, 4]), B: new ortNode.Tensor('float32', B, [N, 4]) });
      const want = matmul(linearT(S, N, Wp, 3, 4, c), N, Vp, 3, 5);
      expect(relDiff(y, want)).toBeLessThan(1e-5);
    });
  }

  it('passes with validation on two inputs, and onnxTop1 with both forms of samples', async () => {
    const { iobs } = await import('../../src/pruning/iobs.js');
    const calib = sliceOnnxSamples(two, 0, 30), held = sliceOnnxSamples(two, 30, N);
    expect([onnxSampleCount(calib), onnxSampleCount(held)]).toEqual([30, 7]);
    const r = await pruneOnnx(la, addBytes, calib, { pruner: iobs(), sparsity: 0.5, passes: 2, validation: held, ort });
    expect(r.passes.map((p) => Number.isFinite(p.validationLoss))).toEqual([true, true]);
    const y = matmul(linearT(S, N, W, 3, 4, c), N, V, 3, 5);
    const labels = Array.from({ length: N }, (_, i) => { let b = 0; for (let k = 1; k < 5; k++) if (y[i * 5 + k] > y[i * 5 + b]) b = k; return b; });
    expect(await onnxTop1(addBytes, two, labels, { ort })).toBe(1);
    labels[0] = (labels[0] + 1) % 5;
    expect(await onnxTop1(addBytes, two, labels, { ort, batchSize: 5 })).toBeCloseTo((N - 1) / N, 12);
  });

  it('an int64 input (Int32Array widened, or BigInt64Array) feeds a Gather; the Gemm after it is calibrated on the table rows', async () => {
    const rows = new Float64Array(N * 4);
    for (let i = 0; i < N; i++) for (let k = 0; k < 4; k++) rows[i * 4 + k] = table[ids[i] * 4 + k];
    for (const data of [ids, BigInt64Array.from(ids, (v) => BigInt(v))]) {
      const samples: OnnxSamples = { inputs: { ids: { data, sampleShape: [] } } };
      const [s] = await captureLayerHessians(la, decodeOnnxModel(gatherBytes), samples, { batchSize: 16, ort });
      try {
        expect(relDiff(await la.read(await s.stats.hessian('float64')), gram(rows, N, 4))).toBeLessThan(1e-12);
      } finally {
        s.stats.free();
      }
      const r = await pruneOnnx(la, gatherBytes, samples, { pruner: sparseGPT(), pattern: '2:4', ort });
      const Gp = readInitializer(decodeOnnxModel(r.bytes), 'G').data;
      expect(r.layers[0].relError).toBeCloseTo(relError(G, Gp, gram(rows, N, 4), 3, 4), 6);
      const y = await run(r.bytes, { ids: new ortNode.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [N]) });
      expect(relDiff(y, linearT(rows, N, Gp, 3, 4))).toBeLessThan(1e-5);
    }
  });

  it('refuses samples that do not fit the graph inputs, naming samples.inputs.<name>', async () => {
    const o = { pruner: magnitude(), sparsity: 0.5, ort };
    const a = { data: A, sampleShape: [4] }, b = { data: B, sampleShape: [4] };
    await expect(pruneOnnx(la, addBytes, { inputs: { A: a } }, o)).rejects.toThrow(/pruneOnnx: argument samples.inputs must be one entry per graph input of model \(A, B\); got "no entry for \\"B\\""/);
    await expect(pruneOnnx(la, addBytes, { inputs: { A: a, b } }, o)).rejects.toThrow(/argument samples.inputs.b must be the name of a graph input of model \(A, B\); did you mean 'B'\?/);
    await expect(pruneOnnx(la, addBytes, { inputs: { A: a, B: { data: B.subarray(4), sampleShape: [4] } } }, o)).rejects.toThrow(/argument samples.inputs.B.data must be as many samples as samples.inputs.A \(37\); got "36 samples"/);
    await expect(pruneOnnx(la, addBytes, { inputs: { A: a, B: { data: Float64Array.from(B), sampleShape: [4] } } }, o)).rejects.toThrow(/argument samples.inputs.B.data must be a Float32Array \(input "B" of model is float32\)/);
    await expect(pruneOnnx(la, addBytes, { inputs: { A: a, B: { data: B, sampleShape: [2, 2] } } }, o)).rejects.toThrow(/argument samples.inputs.B.sampleShape must be the shape of one sample of input "B" of model, declared \[N, 4\]/);
    await expect(pruneOnnx(la, addBytes, { input: 'A', data: A, sampleShape: [4] }, o)).rejects.toThrow(/argument samples must be samples of every graph input of model \(A, B\)/);
    await expect(pruneOnnx(la, addBytes, two, { ...o, validation: { inputs: { A: a } } })).rejects.toThrow(/argument options.validation.inputs must be one entry per graph input/);
    await expect(pruneOnnx(la, gatherBytes, { inputs: { ids: { data: Float32Array.from(ids), sampleShape: [] } } }, o)).rejects.toThrow(/samples.inputs.ids.data must be a BigInt64Array \(or an Int32Array\) \(input "ids" of model is int64\)/);
    await expect(pruneOnnx(la, gatherBytes, { input: 'ids', data: Float32Array.from(ids), sampleShape: [] }, o)).rejects.toThrow(/samples.input must be a FLOAT or DOUBLE input of model/);
    await expect(captureLayerHessians(la, decodeOnnxModel(addBytes), { inputs: { A: a } }, { ort })).rejects.toThrow(/captureLayerHessians: argument samples.inputs must be one entry per graph input/);
    await expect(onnxTop1(addBytes, two, [1, 2], { ort })).rejects.toThrow(/onnxTop1: argument labels must be one label per sample \(37\)/);
  });
});

describe('iobs prune and eval with NAME=FILE,… for a model with several inputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iobs-inputs-'));
  writeFileSync(join(dir, 'model.onnx'), addBytes);
  writeFileSync(join(dir, 'a.npy'), formatNpy(A, [N, 4]));
  writeFileSync(join(dir, 'b.npy'), formatNpy(B, [N, 4]));
  writeFileSync(join(dir, 'b-short.npy'), formatNpy(B.subarray(8), [N - 2, 4]));
  writeFileSync(join(dir, 'b64.npy'), formatNpy(Float64Array.from(B), [N, 4]));
  const iobs = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000, cwd: dir });

  it('prunes with --calib A=a.npy,B=b.npy (sparsegpt 50%), and the output runs in onnxruntime-node', async () => {
    const r = iobs('prune', 'model.onnx', '--calib', 'A=a.npy,B=b.npy', '--method', 'sparsegpt', '--sparsity', '0.5', '--out', 'out.onnx', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/calibrating on 37 samples/);
    const summary = JSON.parse(r.stdout);
    expect(summary.calibration.samples).toBe(N);
    expect(summary.layers.map((l: { name: string }) => l.name)).toEqual(['fc', 'proj']);
    const { readFile } = await import('node:fs/promises');
    const bytes = new Uint8Array(await readFile(join(dir, 'out.onnx')));
    const out = decodeOnnxModel(bytes);
    const Wp = readInitializer(out, 'W').data, Vp = readInitializer(out, 'V').data;
    expect(Array.from(Wp).filter((v) => v === 0).length).toBe(6);
    const y = await run(bytes, { A: new ortNode.Tensor('float32', A, [N, 4]), B: new ortNode.Tensor('float32', B, [N, 4]) });
    expect(relDiff(y, matmul(linearT(S, N, Wp, 3, 4, c), N, Vp, 3, 5))).toBeLessThan(1e-5);
  });

  it('reads an int64 .npy for an int64 input (ids=ids.npy, and a plain path for the one-input model)', () => {
    // A version 1.0 .npy of '<i8' written by hand (formatNpy writes floats only).
    let header = `{'descr': '<i8', 'fortran_order': False, 'shape': (${N},), }`;
    header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
    const head = new Uint8Array([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, header.length & 255, header.length >> 8, ...new TextEncoder().encode(header)]);
    const body = new Uint8Array(BigInt64Array.from(ids, (v) => BigInt(v)).buffer);
    writeFileSync(join(dir, 'gather.onnx'), gatherBytes);
    writeFileSync(join(dir, 'ids.npy'), new Uint8Array([...head, ...body]));
    for (const value of ['ids=ids.npy', 'ids.npy']) {
      const r = iobs('prune', 'gather.onnx', '--calib', value, '--method', 'sparsegpt', '--pattern', '2:4', '--out', 'g.onnx', '--force', '--json');
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).calibration.samples).toBe(N);
    }
    const r = iobs('prune', 'gather.onnx', '--calib', 'ids=a.npy', '--method', 'magnitude', '--sparsity', '0.5', '--out', 'g.onnx', '--force');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--calib ids="a.npy": float32 data; input ids of the model is int64, expected a .npy of int64 \(or int32\)/);
  });

  it('refuses a missing input, an unknown name, differing counts, a wrong dtype and a single path, naming the flag and the file', () => {
    const fails = (flag: string, value: string, re: RegExp, cmd: 'prune' | 'eval' = 'prune') => {
      const args = cmd === 'prune'
        ? ['prune', 'model.onnx', '--calib', value, '--method', 'magnitude', '--sparsity', '0.5', '--out', 'bad.onnx']
        : ['eval', 'model.onnx', '--data', value, '--labels', 'labels.npy'];
      const r = iobs(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).toContain(flag);
    };
    fails('--calib', 'A=a.npy', /--calib "A=a.npy": no file for input B \(the model's inputs: A, B; give --calib A=FILE.npy,B=FILE.npy\)/);
    fails('--calib', 'A=a.npy,C=b.npy', /--calib "A=a.npy,C=b.npy": "C" is not a graph input of the model \(A, B\); did you mean '[AB]'\?/);
    fails('--calib', 'A=a.npy,B=b-short.npy', /--calib B="b-short.npy": 35 samples; A="a.npy" has 37/);
    fails('--calib', 'A=a.npy,B=b64.npy', /--calib B="b64.npy": float64 data; input B of the model is float32/);
    fails('--calib', 'a.npy', /--calib "a.npy": the model has 2 graph inputs \(A, B\); give one .npy per input, as --calib A=FILE.npy,B=FILE.npy/);
    fails('--calib', 'A=a.npy,B=nope.npy', /--calib "nope.npy"/);
    fails('--data', 'A=a.npy,B=b-short.npy', /--data B="b-short.npy": 35 samples/, 'eval');
  });
});
