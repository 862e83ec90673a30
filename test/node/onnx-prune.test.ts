// ONNX models end to end (src/models/onnx): Conv layers in the listing, their H captured through
// im2col against a plain float64 reference (the Conv input fetched from onnxruntime, im2col written
// out here), the Conv geometry checked against onnxruntime's own Conv (patches · Wᵀ + b = its
// output, with strides, dilations, asymmetric pads and auto_pad SAME_UPPER), sequential pruning of
// mnist-cnn with magnitude and SparseGPT (accuracy, the dense first Conv under 2:4, the pruned file
// loading in onnxruntime-web and onnxruntime-node alike, nothing but the pruned weights changed,
// the inputs untouched), and the errors raised before any work.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { onnx } from 'onnx-proto';
import type * as OrtNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import type { Linalg } from '../../src/linalg/linalg.js';
import { readIdxFile } from '../../src/io/files.js';
import type { IdxArray } from '../../src/io/idx.js';
import { mnistInputs, mnistLabels } from '../../src/models/mnist.js';
import { captureLayerHessians, onnxTop1, type OnnxRuntime, type OnnxSamples } from '../../src/models/onnx/capture.js';
import { pruneOnnx, type PruneOnnxResult } from '../../src/models/onnx/prune.js';
import {
  convGeometry, decodeOnnxModel, encodeOnnxModel, layerWeight, onnxLayers, onnxLinearLayers, onnxSkippedLayers, readInitializer, withGraphOutputs,
  type OnnxLayer, type OnnxModel,
} from '../../src/models/onnx/reader.js';
import { magnitude } from '../../src/pruning/magnitude.js';
import { sparseGPT } from '../../src/pruning/sparsegpt.js';
import { rng } from '../../src/cli/bench/util.js';
import { NO_SHARED_DATA, SHARED_DATA, sharedData } from './shared-data.js';

const ortNode = createRequire(import.meta.url)('onnxruntime-node') as typeof OrtNode;
const nodeRuntime = ortNode as unknown as OnnxRuntime;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

const randoms = (n: number, r: () => number) => Float32Array.from({ length: n }, () => 2 * r() - 1);

/** im2col written out plainly: rows (b, oy, ox), columns (c, ky, kx). */
function patches(x: ArrayLike<number>, dims: readonly number[], kernel: number[], strides: number[], pads: number[], dilations: number[]): { P: Float64Array; rows: number; cols: number } {
  const [n, C, H, W] = dims, [kh, kw] = kernel;
  const outH = Math.floor((H + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) / strides[0]) + 1;
  const outW = Math.floor((W + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) / strides[1]) + 1;
  const cols = C * kh * kw, rows = n * outH * outW, P = new Float64Array(rows * cols);
  for (let b = 0; b < n; b++) for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) {
    const r = (b * outH + oy) * outW + ox;
    for (let c = 0; c < C; c++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = oy * strides[0] - pads[0] + ky * dilations[0], ix = ox * strides[1] - pads[1] + kx * dilations[1];
      if (iy >= 0 && iy < H && ix >= 0 && ix < W) P[r * cols + (c * kh + ky) * kw + kx] = x[((b * C + c) * H + iy) * W + ix];
    }
  }
  return { P, rows, cols };
}

/** Plain float64 XᵀX. */
function gram(X: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const G = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const xi = X[r * cols + i];
      if (xi === 0) continue;
      for (let j = 0; j < cols; j++) G[i * cols + j] += xi * X[r * cols + j];
    }
  }
  return G;
}

/** True when two byte arrays are equal (vitest's toEqual walks megabytes slowly). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** max |got − want| / max |want|. */
function relDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let worst = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return worst / Math.max(scale, 1e-300);
}

const tensorType = (elemType: number, dims: (number | string)[]) => ({
  tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } },
});
const ints = (name: string, v: number[]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
const int = (name: string, v: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
const str = (name: string, v: string) => ({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) });
const raw = (name: string, dims: number[], data: Float32Array) => ({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer.slice(0)) });

function modelOf(graph: onnx.IGraphProto, opset = 13): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: '', version: opset }], graph })).finish();
}

interface ConvCase {
  name: string;
  input: number[];
  out: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads?: number[];
  autoPad?: string;
}

/** x [N, C, H, W] → Conv(w, b) → y, with the case's attributes. */
function convModel(c: ConvCase, seed: number): { bytes: Uint8Array; w: Float32Array; b: Float32Array } {
  const r = rng(seed), [, C] = c.input;
  const w = randoms(c.out * C * c.kernel[0] * c.kernel[1], r), b = randoms(c.out, r);
  const attribute = [ints('kernel_shape', c.kernel), ints('strides', c.strides), ints('dilations', c.dilations)];
  if (c.pads) attribute.push(ints('pads', c.pads));
  const attrs: onnx.IAttributeProto[] = [...attribute, ...(c.autoPad ? [str('auto_pad', c.autoPad)] : [])];
  const bytes = modelOf({
    name: c.name,
    node: [{ opType: 'Conv', name: 'conv', input: ['x', 'w', 'b'], output: ['y'], attribute: attrs }],
    initializer: [raw('w', [c.out, C, ...c.kernel], w), raw('b', [c.out], b)],
    input: [{ name: 'x', type: tensorType(FLOAT, ['N', ...c.input.slice(1)]) }],
    output: [{ name: 'y', type: { tensorType: { elemType: FLOAT } } }],
  });
  return { bytes, w, b };
}

let la: Linalg;

beforeAll(async () => {
  la = await init({ wasmPaths: new URL('../../dist/', import.meta.url) });
});

describe('Conv layers on small models', () => {
  const cases: ConvCase[] = [
    { name: 'strided, dilated, asymmetric pads', input: [3, 2, 9, 8], out: 4, kernel: [3, 2], strides: [2, 1], dilations: [1, 2], pads: [1, 0, 2, 1] },
    { name: 'SAME_UPPER, stride 2', input: [2, 3, 7, 6], out: 5, kernel: [3, 3], strides: [2, 2], dilations: [1, 1], autoPad: 'SAME_UPPER' },
    { name: 'SAME_LOWER, even kernel', input: [2, 1, 6, 5], out: 2, kernel: [2, 4], strides: [1, 2], dilations: [1, 1], autoPad: 'SAME_LOWER' },
    { name: 'VALID', input: [2, 2, 5, 7], out: 3, kernel: [2, 3], strides: [1, 2], dilations: [2, 1], autoPad: 'VALID' },
  ];
  for (const [k, c] of cases.entries()) {
    it(`${c.name}: patches · Wᵀ + b is onnxruntime's Conv, and H is the plain XᵀX of the patches`, async () => {
      const { bytes, w, b } = convModel(c, 40 + k);
      const model = decodeOnnxModel(bytes);
      const [layer] = onnxLayers(model);
      const [, C, H, W] = c.input;
      expect([layer.op, layer.rows, layer.cols, layer.weight, layer.input]).toEqual(['Conv', c.out, C * c.kernel[0] * c.kernel[1], 'w', 'x']);
      expect(layer.conv!.autoPad).toBe(c.autoPad ?? 'NOTSET');
      const g = convGeometry(layer, H, W);
      const x = randoms(c.input.reduce((a, v) => a * v, 1), rng(50 + k));
      const y = (await (await ortNode.InferenceSession.create(bytes)).run({ x: new ortNode.Tensor('float32', x, c.input) })).y;
      const { P, rows, cols } = patches(x, c.input, c.kernel, g.strides!, g.pads!, g.dilations!);
      const [, , outH, outW] = y.dims as number[];
      expect(rows).toBe(c.input[0] * outH * outW);
      // y[b, f, oy, ox] = Σ_j P[(b, oy, ox), j] W[f, j] + bias[f]
      const got = new Float64Array(y.data.length);
      for (let r = 0; r < rows; r++) {
        const bi = Math.floor(r / (outH * outW)), pos = r % (outH * outW);
        for (let f = 0; f < c.out; f++) {
          let acc = b[f];
          for (let j = 0; j < cols; j++) acc += P[r * cols + j] * w[f * cols + j];
          got[(bi * c.out + f) * outH * outW + pos] = acc;
        }
      }
      expect(relDiff(got, y.data as Float32Array)).toBeLessThan(1e-5);
      // The captured H (onnxruntime-web, batches of 2 so the last is uneven for N = 3).
      const [s] = await captureLayerHessians(la, model, { input: 'x', data: x, sampleShape: c.input.slice(1) }, { batchSize: 2 });
      try {
        expect(s.stats.samples).toBe(rows);
        const Hm = await s.stats.hessian('float64');
        const Hgot = await la.read(Hm);
        Hm.free();
        expect(relDiff(Hgot, gram(P, rows, cols))).toBeLessThan(1e-12);
      } finally {
        s.stats.free();
      }
    });
  }

  it('lists grouped, depthwise, 1-D and computed-weight convolutions as not prunable, with the reason', () => {
    const r = rng(3);
    const bytes = modelOf({
      node: [
        { opType: 'Conv', name: 'grouped', input: ['x', 'wg'], output: ['a'], attribute: [int('group', 2)] },
        { opType: 'Conv', name: 'depthwise', input: ['a', 'wd'], output: ['d'], attribute: [int('group', 4)] },
        { opType: 'Conv', name: 'oned', input: ['x1', 'w1'], output: ['e'] },
        { opType: 'Conv', name: 'computed', input: ['d', 'e'], output: ['f'] },
        { opType: 'Conv', name: 'ok', input: ['f', 'wo'], output: ['y'], attribute: [ints('pads', [1, 1, 1, 1])] },
      ],
      initializer: [raw('wg', [4, 2, 3, 3], randoms(72, r)), raw('wd', [4, 1, 3, 3], randoms(36, r)), raw('w1', [2, 4, 3], randoms(24, r)), raw('wo', [2, 4, 1, 1], randoms(8, r))],
      input: [{ name: 'x', type: tensorType(FLOAT, ['N', 4, 9, 9]) }, { name: 'x1', type: tensorType(FLOAT, ['N', 4, 9]) }],
      output: [{ name: 'y', type: { tensorType: { elemType: FLOAT } } }],
    });
    const model = decodeOnnxModel(bytes);
    expect(onnxLayers(model).map((l) => [l.node, l.rows, l.cols])).toEqual([['ok', 2, 4]]);
    const skipped = onnxSkippedLayers(model);
    expect(skipped.map((s) => s.node)).toEqual(['grouped', 'depthwise', 'oned', 'computed']);
    expect(skipped[0].reason).toMatch(/grouped convolution \(group = 2\); only group = 1/);
    expect(skipped[1].reason).toMatch(/group = 4, depthwise/);
    expect(skipped[2].reason).toMatch(/only 2-D convolutions .*3-D/);
    expect(skipped[3].reason).toMatch(/weight "e" is computed, not an initializer/);
    expect(skipped.every((s) => !s.unsupportedType)).toBe(true);
  });
});

describe('pruneOnnx on small models', () => {
  /** x [N, 8] → Gemm(W [6, 8] transB = 1, float_data) → Relu → MatMul(V [6, 4], raw_data) → y. */
  function mlp(seed: number, weightType = FLOAT): Uint8Array {
    const r = rng(seed);
    return modelOf({
      name: 'mlp',
      node: [
        { opType: 'Gemm', name: 'fc', input: ['x', 'W', 'c'], output: ['h'], attribute: [int('transB', 1)] },
        { opType: 'Relu', input: ['h'], output: ['hr'] },
        { opType: 'MatMul', name: 'proj', input: ['hr', 'V'], output: ['y'] },
      ],
      initializer: [
        weightType === FLOAT ? { name: 'W', dims: [6, 8], dataType: FLOAT, floatData: Array.from(randoms(48, r)) } : { name: 'W', dims: [6, 8], dataType: weightType, rawData: new Uint8Array(96) },
        { name: 'c', dims: [6], dataType: FLOAT, floatData: Array.from(randoms(6, r)) },
        raw('V', [6, 4], randoms(24, r)),
      ],
      input: [{ name: 'x', type: tensorType(FLOAT, ['N', 8]) }],
      output: [{ name: 'y', type: tensorType(FLOAT, ['N', 4]) }],
    });
  }

  it('keeps each initializer’s storage form, changes nothing else, and leaves its inputs as they were', async () => {
    const bytes = mlp(1), before = bytes.slice();
    const model = decodeOnnxModel(bytes), encoded = encodeOnnxModel(model);
    const x = randoms(64 * 8, rng(2));
    const r = await pruneOnnx(la, model, { input: 'x', data: x, sampleShape: [8] }, { pruner: sparseGPT({ blockSize: 4 }), pattern: '2:4', batchSize: 20 });
    expect(sameBytes(bytes, before)).toBe(true);
    expect(sameBytes(encodeOnnxModel(model), encoded)).toBe(true);
    // fc: 8 inputs, pruned 2:4; proj: 6 inputs, not a multiple of 4, dense.
    expect(r.layers.map((l) => [l.node, l.op, l.rows, l.cols, l.pattern, l.calibrationRows])).toEqual([['fc', 'Gemm', 6, 8, '2:4', 64], ['proj', 'MatMul', 4, 6, null, 0]]);
    expect(r.layers[1].dense).toMatch(/its 6 inputs are not a multiple of 4/);
    expect(r.layers[0].sparsity).toBe(0.5);
    const out = decodeOnnxModel(r.bytes);
    const W = out.graph!.initializer!.find((t) => t.name === 'W')!;
    expect(W.floatData!.length).toBe(48);
    expect(W.rawData!.length).toBe(0);
    const Wp = readInitializer(out, 'W').data;
    expect(Array.from(Wp).filter((v) => v === 0).length).toBe(24);
    // Everything but W's values is as it was.
    W.floatData = Array.from(readInitializer(model, 'W').data);
    expect(sameBytes(encodeOnnxModel(out), encoded)).toBe(true);
  });

  it('refuses bad input before any work, naming the thing and what is wrong', async () => {
    const samples = { input: 'x', data: new Float32Array(16 * 8), sampleShape: [8] };
    const o = { pruner: magnitude(), pattern: '0.5' };
    const noise = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) % 256);
    await expect(pruneOnnx(la, noise, samples, { ...o, name: 'noise.onnx' })).rejects.toThrow(/decodeOnnxModel: argument noise.onnx must be an ONNX model/);
    const relu = modelOf({ node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [{ name: 'x', type: tensorType(FLOAT, ['N', 8]) }], output: [{ name: 'y', type: { tensorType: { elemType: FLOAT } } }] });
    await expect(pruneOnnx(la, relu, samples, { ...o, name: 'relu.onnx' })).rejects.toThrow(/pruneOnnx: argument relu.onnx must be a model with at least one prunable layer .*got "a graph of 1 nodes \(Relu\)"/);
    await expect(pruneOnnx(la, mlp(1, onnx.TensorProto.DataType.FLOAT16), samples, { ...o, name: 'half.onnx' })).rejects.toThrow(/pruneOnnx: argument half.onnx must be a model whose Conv, Gemm and MatMul weights are FLOAT .*node \\"fc\\": its weight \\"W\\" is FLOAT16/);
    await expect(pruneOnnx(la, mlp(1), { ...samples, sampleShape: [4, 2] }, o)).rejects.toThrow(/pruneOnnx: argument samples.sampleShape must be the shape of one sample of input "x" of model, declared \[N, 8\]/);
    await expect(pruneOnnx(la, mlp(1), { ...samples, data: new Float32Array(16 * 9), sampleShape: [9] }, o)).rejects.toThrow(/declared \[N, 8\] \(dimension 1 is 8, not 9\)/);
    await expect(pruneOnnx(la, mlp(1), { ...samples, data: new Float64Array(16 * 8) }, o)).rejects.toThrow(/pruneOnnx: argument samples.data must be a Float32Array \(input "x" of model is float32\)/);
    await expect(pruneOnnx(la, mlp(1), { ...samples, input: 'image' }, o)).rejects.toThrow(/pruneOnnx: argument samples.input must be a graph input of model \(x\); got "image"/);
    await expect(pruneOnnx(la, mlp(1), samples, { pruner: magnitude(), pattern: '0.5', sparsity: 0.5 })).rejects.toThrow(/options.sparsity must be absent when options.pattern is given/);
    await expect(pruneOnnx(la, mlp(1), samples, { pruner: magnitude() })).rejects.toThrow(/options.pattern must be a pattern/);
    await expect(pruneOnnx(la, mlp(1), samples, { pruner: magnitude(), pattern: '3:2' })).rejects.toThrow(/options.pattern.n/);
    await expect(pruneOnnx(la, mlp(1), samples, { ...o, batchsize: 3 } as never)).rejects.toThrow(/options.batchsize must be a known option .*did you mean 'batchSize'/);
    await expect(pruneOnnx(la, mlp(1), samples, { ...o, layers: ['nope'] })).rejects.toThrow(/options.layers must be a layer of the model \(fc, proj\); got "nope"/);
    // A weight that does not hold what its dims say (the second layer's, cut short) is refused up
    // front, not when its turn comes after the first layer is pruned (found by fuzzing).
    const cut = decodeOnnxModel(mlp(1));
    const V = cut.graph!.initializer!.find((t) => t.name === 'V')!;
    V.rawData = V.rawData!.subarray(0, 40);
    let progressed = false;
    await expect(pruneOnnx(la, encodeOnnxModel(cut), samples, { ...o, name: 'cut.onnx', onProgress: () => (progressed = true) }))
      .rejects.toThrow(/pruneOnnx: argument cut.onnx must be a model whose weight initializers hold what their dims say \(96 bytes for shape \[6, 4\] of FLOAT\); got "initializer \\"V\\": 40 bytes of raw_data"/);
    expect(progressed).toBe(false);
    expect(la.liveBytes()).toBe(0);
  });
});

describe.skipIf(!SHARED_DATA)(`pruneOnnx on mnist-cnn.onnx${NO_SHARED_DATA}`, () => {
  let bytes: Uint8Array, cnn: OnnxModel, images: IdxArray, labels: IdxArray;
  let calibration: OnnxSamples, held: OnnxSamples, heldLabels: Uint8Array;
  const CALIBRATION = 256, HELD = 1000, HELD_START = 5000;

  beforeAll(async () => {
    bytes = new Uint8Array(await readFile(sharedData('onnx/mnist-cnn.onnx')));
    cnn = decodeOnnxModel(bytes, 'mnist-cnn.onnx');
    images = await readIdxFile(sharedData('mnist/t10k-images-idx3-ubyte.gz'));
    labels = await readIdxFile(sharedData('mnist/t10k-labels-idx1-ubyte.gz'));
    calibration = { input: 'input', data: mnistInputs(images, 0, CALIBRATION), sampleShape: [1, 28, 28] };
    held = { input: 'input', data: mnistInputs(images, HELD_START, HELD), sampleShape: [1, 28, 28] };
    heldLabels = mnistLabels(labels, HELD_START, HELD);
  });

  it('finds both Conv layers and both Gemm layers with their shapes and attributes', () => {
    const layers = onnxLayers(cnn);
    expect(layers.map((l) => [l.op, l.node, l.weight, l.rows, l.cols, l.input])).toEqual([
      ['Conv', '/conv1/Conv', 'conv1.weight', 32, 9, 'input'],
      ['Conv', '/conv2/Conv', 'conv2.weight', 64, 288, '/pool/MaxPool_output_0'],
      ['Gemm', '/fc1/Gemm', 'fc1.weight', 128, 3136, '/Reshape_output_0'],
      ['Gemm', '/fc2/Gemm', 'fc2.weight', 10, 128, '/relu_2/Relu_output_0'],
    ]);
    expect(layers[1].conv).toEqual({ channels: 32, kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], autoPad: 'NOTSET' });
    expect(onnxSkippedLayers(cnn)).toEqual([]);
    expect(onnxLinearLayers(cnn).map((l) => l.weight)).toEqual(['fc1.weight', 'fc2.weight']);
    expect(Array.from(layerWeight(cnn, layers[1]))).toEqual(Array.from(readInitializer(cnn, 'conv2.weight').data));
  });

  it('captures conv2’s H through im2col as the float64 XᵀX of its patches (Conv input from onnxruntime-node)', async () => {
    const n = 12, data = calibration.data.subarray(0, n * 784);
    const conv2 = onnxLayers(cnn)[1] as OnnxLayer;
    const [s] = await captureLayerHessians(la, cnn, { ...calibration, data }, { layers: [conv2], batchSize: 5 });
    const probe = encodeOnnxModel(withGraphOutputs(cnn, [conv2.input]));
    const out = await (await ortNode.InferenceSession.create(probe)).run({ input: new ortNode.Tensor('float32', data, [n, 1, 28, 28]) });
    const t = out[conv2.input];
    expect(t.dims).toEqual([n, 32, 14, 14]);
    const { P, rows, cols } = patches(t.data as Float32Array, t.dims as number[], [3, 3], [1, 1], [1, 1, 1, 1], [1, 1]);
    try {
      expect([s.stats.samples, rows, cols]).toEqual([n * 196, n * 196, 288]);
      const Hm = await s.stats.hessian('float64');
      const H = await la.read(Hm);
      Hm.free();
      expect(relDiff(H, gram(P, rows, cols))).toBeLessThan(1e-6);
    } finally {
      s.stats.free();
    }
  });

  const runs: Record<string, PruneOnnxResult> = {};
  const top1: Record<string, number> = {};
  const prune = async (key: string, pruner: ReturnType<typeof magnitude>, pattern: string, ort?: OnnxRuntime) => {
    const before = bytes.slice();
    runs[key] = await pruneOnnx(la, bytes, calibration, { pruner, pattern, ort, name: 'mnist-cnn.onnx' });
    expect(sameBytes(bytes, before)).toBe(true);
    top1[key] = await onnxTop1(runs[key].bytes, held, heldLabels, { ort });
    return runs[key];
  };

  it('SparseGPT 2:4: the first Conv (9 inputs) stays dense and says so; the others are 2:4; the file runs the same in onnxruntime-web and -node', async () => {
    const r = await prune('sparsegpt 2:4', sparseGPT(), '2:4');
    expect(r.layers.map((l) => [l.node, l.pattern])).toEqual([['/conv1/Conv', null], ['/conv2/Conv', '2:4'], ['/fc1/Gemm', '2:4'], ['/fc2/Gemm', '2:4']]);
    expect(r.layers[0].dense).toBe('its 9 inputs are not a multiple of 4 (2:4 needs groups of 4)');
    expect(r.layers[0].sparsity).toBe(0);
    for (const l of r.layers.slice(1)) {
      expect(l.sparsity).toBe(0.5);
      expect(l.relError).toBeGreaterThan(0);
      expect(l.relError).toBeLessThan(0.1);
    }
    expect(r.layers[1].calibrationRows).toBe(CALIBRATION * 14 * 14);
    // Only the three pruned weights differ from the input model; conv1 is bit for bit the original.
    const out = decodeOnnxModel(r.bytes);
    expect(Array.from(readInitializer(out, 'conv1.weight').data)).toEqual(Array.from(readInitializer(cnn, 'conv1.weight').data));
    for (const name of ['conv2.weight', 'fc1.weight', 'fc2.weight']) {
      const t = out.graph!.initializer!.find((i) => i.name === name)!;
      const orig = cnn.graph!.initializer!.find((i) => i.name === name)!;
      expect(t.rawData!.length).toBe(orig.rawData!.length);
      t.rawData = orig.rawData;
    }
    expect(sameBytes(encodeOnnxModel(out), encodeOnnxModel(cnn))).toBe(true);
    // The same outputs from both runtimes.
    const x = held.data.subarray(0, 64 * 784);
    const web = await (await ortWeb.InferenceSession.create(r.bytes)).run({ input: new ortWeb.Tensor('float32', x, [64, 1, 28, 28]) });
    const native = await (await ortNode.InferenceSession.create(r.bytes)).run({ input: new ortNode.Tensor('float32', x, [64, 1, 28, 28]) });
    expect(relDiff(web.output.data as Float32Array, native.output.data as Float32Array)).toBeLessThan(1e-5);
    expect(top1['sparsegpt 2:4']).toBeGreaterThan(0.9);
  });

  it('magnitude and SparseGPT at 50% and 70%, and magnitude 2:4: SparseGPT at least as accurate at 70%', async () => {
    await prune('magnitude 2:4', magnitude(), '2:4', nodeRuntime);
    for (const s of ['0.5', '0.7']) {
      await prune(`magnitude ${s}`, magnitude(), s, nodeRuntime);
      await prune(`sparsegpt ${s}`, sparseGPT(), s, nodeRuntime);
    }
    for (const [key, r] of Object.entries(runs)) {
      const want = key.endsWith('2:4') ? 0.5 : Number(key.split(' ')[1]);
      for (const l of r.layers.filter((l) => l.pattern !== null)) expect(Math.abs(l.sparsity - want)).toBeLessThan(0.01);
    }
    // Layer by layer, SparseGPT's reconstruction error is below magnitude's.
    for (const s of ['0.5', '0.7']) {
      runs[`sparsegpt ${s}`].layers.forEach((l, i) => expect(l.relError).toBeLessThan(runs[`magnitude ${s}`].layers[i].relError));
    }
    expect(top1['sparsegpt 0.7']).toBeGreaterThanOrEqual(top1['magnitude 0.7']);
    expect(top1['sparsegpt 0.5']).toBeGreaterThan(0.95);
    const dense = await onnxTop1(bytes, held, heldLabels, { ort: nodeRuntime });
    console.log(`mnist-cnn top-1 on digits ${HELD_START}–${HELD_START + HELD - 1} (calibration: digits 0–${CALIBRATION - 1}): dense ${(100 * dense).toFixed(2)}%, `
      + Object.entries(top1).map(([k, v]) => `${k} ${(100 * v).toFixed(2)}%`).join(', '));
    for (const [k, r] of Object.entries(runs)) console.log(`  ${k}: ${r.layers.map((l) => `${l.node} ${l.pattern ?? 'dense'} rel ${l.relError.toExponential(2)} ${l.seconds.toFixed(2)} s`).join('; ')}`);
  });
});
