// The ONNX reader (src/models/onnx/reader.ts) and the onnxruntime capture (capture.ts): the shipped
// MNIST CNN (layer shapes, weights against onnxruntime's own output, the 97.35% baseline, H against
// a plain float64 XᵀX), small models built here (MatMul, Gemm with transB = 0, float_data, float64,
// rank-3 inputs), and malformed bytes.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { onnx } from 'onnx-proto';
import type * as Ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import type { Linalg } from '../../src/linalg/linalg.js';
import { readIdxFile } from '../../src/io/files.js';
import { mnistInputs, mnistLabels } from '../../src/models/mnist.js';
import { captureLayerHessians, onnxTop1, type LayerStatistics } from '../../src/models/onnx/capture.js';
import {
  checkInitializer, decodeOnnxModel, encodeOnnxModel, layerWeight, onnxGraphIO, onnxInitializers, onnxLayers, onnxLinearLayers, onnxSkippedLayers, readInitializer,
  setLayerWeight, withGraphOutputs, withLayerWeight, type OnnxLayer, type OnnxModel,
} from '../../src/models/onnx/reader.js';
import { NO_SHARED_DATA, SHARED_DATA, sharedData } from './shared-data.js';
import { rng } from '../../src/cli/bench/util.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;

const randoms = (n: number, r: () => number) => Float32Array.from({ length: n }, () => 2 * r() - 1);

/** Plain float64 XᵀX of a rows x cols row-major X. */
function gram(X: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const H = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const xi = X[r * cols + i];
      if (xi === 0) continue;
      for (let j = 0; j < cols; j++) H[i * cols + j] += xi * X[r * cols + j];
    }
  }
  return H;
}

function floatInit(name: string, dims: number[], data: Float32Array, asRaw = true): onnx.ITensorProto {
  return asRaw
    ? { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer.slice(0)) }
    : { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: Array.from(data) };
}

const tensorType = (dims: (number | string)[]) => ({
  tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } },
});

/**
 * x [N, 5] → MatMul(Wm [5, 3]) → h → Relu → r → Gemm(r, Wg [3, 4] with transB = 0, bias b [4]) → y [N, 4].
 * Wm is stored as float_data, Wg as raw_data. With `rank3`, x is [N, 2, 5] and the graph ends at MatMul.
 */
function tinyModel(seed: number, rank3 = false): { bytes: Uint8Array; Wm: Float32Array; Wg: Float32Array; b: Float32Array } {
  const r = rng(seed);
  const Wm = randoms(15, r), Wg = randoms(12, r), b = randoms(4, r);
  const nodes: onnx.INodeProto[] = [{ opType: 'MatMul', input: ['x', 'wm'], output: rank3 ? ['y'] : ['h'], name: 'mm' }];
  if (!rank3) {
    nodes.push({ opType: 'Relu', input: ['h'], output: ['r'] });
    nodes.push({ opType: 'Gemm', input: ['r', 'wg', 'b'], output: ['y'], attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] });
  }
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'tiny',
      node: nodes,
      initializer: [floatInit('wm', [5, 3], Wm, false), ...(rank3 ? [] : [floatInit('wg', [3, 4], Wg), floatInit('b', [4], b)])],
      input: [{ name: 'x', type: tensorType(rank3 ? ['N', 2, 5] : ['N', 5]) }],
      output: [{ name: 'y', type: tensorType(rank3 ? ['N', 2, 3] : ['N', 4]) }],
    },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), Wm, Wg, b };
}

async function run(bytes: Uint8Array, feeds: Record<string, Ort.Tensor>): Promise<Record<string, Ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** y = W x (+ b) for each of the n rows x of X (W rows x cols row-major). */
function apply(W: ArrayLike<number>, rows: number, cols: number, X: ArrayLike<number>, n: number, b?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n * rows);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < rows; i++) {
      let acc = b ? b[i] : 0;
      for (let j = 0; j < cols; j++) acc += W[i * cols + j] * X[s * cols + j];
      y[s * rows + i] = acc;
    }
  }
  return y;
}

function expectAllClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number) {
  expect(got.length).toBe(want.length);
  let worst = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  expect(worst, `max |got − want| = ${worst} (max |want| = ${scale})`).toBeLessThanOrEqual(tol * Math.max(1, scale));
}

/** The accumulated H as a plain array. */
async function hessianOf(s: LayerStatistics): Promise<Float64Array> {
  const H = await s.stats.hessian('float64');
  const a = await la.read(H);
  H.free();
  return a;
}

let la: Linalg;
let cnnBytes: Uint8Array;
let cnn: OnnxModel;

beforeAll(async () => {
  la = await init({ wasmPaths: new URL('../../dist/', import.meta.url) });
  if (!SHARED_DATA) return;
  cnnBytes = new Uint8Array(await readFile(sharedData('onnx/mnist-cnn.onnx')));
  cnn = decodeOnnxModel(cnnBytes, 'mnist-cnn.onnx');
});

describe.skipIf(!SHARED_DATA)(`ONNX reader on mnist-cnn.onnx${NO_SHARED_DATA}`, () => {
  it('finds the two Gemm layers as 128x3136 and 10x128', () => {
    const layers = onnxLinearLayers(cnn);
    expect(layers.map((l) => [l.op, l.weight, l.rows, l.cols, l.transB, l.dtype])).toEqual([
      ['Gemm', 'fc1.weight', 128, 3136, true, 'float32'],
      ['Gemm', 'fc2.weight', 10, 128, true, 'float32'],
    ]);
    expect(layers.map((l) => l.input)).toEqual(['/Reshape_output_0', '/relu_2/Relu_output_0']);
    expect(layers[1].output).toBe('output');
  });

  it('lists every initializer with its shape', () => {
    expect(onnxInitializers(cnn).map((t) => [t.name, t.elemType, t.shape])).toEqual([
      ['conv1.weight', 'FLOAT', [32, 1, 3, 3]],
      ['conv1.bias', 'FLOAT', [32]],
      ['conv2.weight', 'FLOAT', [64, 32, 3, 3]],
      ['conv2.bias', 'FLOAT', [64]],
      ['fc1.weight', 'FLOAT', [128, 3136]],
      ['fc1.bias', 'FLOAT', [128]],
      ['fc2.weight', 'FLOAT', [10, 128]],
      ['fc2.bias', 'FLOAT', [10]],
    ]);
    const t = readInitializer(cnn, 'fc1.weight');
    expect(t.dtype).toBe('float32');
    expect(t.data.length).toBe(128 * 3136);
    expect(t.data.every(Number.isFinite)).toBe(true);
  });

  it('reads W so that W x + b reproduces onnxruntime’s output of each layer', async () => {
    const [fc1, fc2] = onnxLinearLayers(cnn);
    const probe = encodeOnnxModel(withGraphOutputs(cnn, [fc1.input, fc2.input, fc1.output]));
    expect(onnxGraphIO(cnn).outputs.length).toBe(1); // the original is untouched
    const n = 7, x = randoms(n * 784, rng(3));
    const out = await run(probe, { input: new ort.Tensor('float32', x, [n, 1, 28, 28]) });
    expect(out[fc1.input].dims).toEqual([n, 3136]);
    const y1 = apply(layerWeight(cnn, fc1), 128, 3136, out[fc1.input].data as Float32Array, n, readInitializer(cnn, 'fc1.bias').data);
    expectAllClose(y1, out[fc1.output].data as Float32Array, 1e-4);
    const y2 = apply(layerWeight(cnn, fc2), 10, 128, out[fc2.input].data as Float32Array, n, readInitializer(cnn, 'fc2.bias').data);
    expectAllClose(y2, out.output.data as Float32Array, 1e-4);
  });

  it('writes a replaced weight that onnxruntime uses', async () => {
    const [, fc2] = onnxLinearLayers(cnn);
    const W = layerWeight(cnn, fc2).map((v, i) => (i % 3 === 0 ? 0 : v * 2));
    const edited = withLayerWeight(cnn, fc2, W);
    expect(layerWeight(edited, fc2)).toEqual(W);
    expect(layerWeight(cnn, fc2)).not.toEqual(W); // the original is untouched
    const probe = encodeOnnxModel(withGraphOutputs(edited, [fc2.input]));
    const x = randoms(3 * 784, rng(4));
    const out = await run(probe, { input: new ort.Tensor('float32', x, [3, 1, 28, 28]) });
    const want = apply(W, 10, 128, out[fc2.input].data as Float32Array, 3, readInitializer(cnn, 'fc2.bias').data);
    expectAllClose(out.output.data as Float32Array, want, 1e-4);
  });
});

describe('ONNX reader on small models', () => {
  it('reads MatMul and Gemm transB = 0 weights as outputs x inputs, from float_data and raw_data', async () => {
    for (const seed of [1, 2, 3]) {
      const { bytes, Wm, Wg, b } = tinyModel(seed);
      const model = decodeOnnxModel(bytes);
      const [mm, gemm] = onnxLinearLayers(model);
      expect([mm.op, mm.rows, mm.cols, mm.transB, mm.input, mm.node]).toEqual(['MatMul', 3, 5, false, 'x', 'mm']);
      expect([gemm.op, gemm.rows, gemm.cols, gemm.transB, gemm.input, gemm.node]).toEqual(['Gemm', 4, 3, false, 'r', 'Gemm#2']);
      // Stored [inputs, outputs]: W[i, j] = stored[j, i].
      const Wmt = layerWeight(model, mm);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) expect(Wmt[i * 5 + j]).toBe(Wm[j * 3 + i]);
      const n = 6, x = randoms(n * 5, rng(seed + 10));
      const y = await run(bytes, { x: new ort.Tensor('float32', x, [n, 5]) });
      const h = apply(Wmt, 3, 5, x, n).map((v) => Math.max(v, 0));
      expectAllClose(y.y.data as Float32Array, apply(layerWeight(model, gemm), 4, 3, h, n, b), 1e-5);
      // A replaced weight goes back transposed.
      const W2 = Float32Array.from({ length: 12 }, (_, i) => i - 5);
      const edited = withLayerWeight(model, gemm, W2);
      expect(Array.from(layerWeight(edited, gemm))).toEqual(Array.from(W2));
      expect(Array.from(readInitializer(edited, 'wg').data)).toEqual(Array.from({ length: 12 }, (_, k) => W2[(k % 4) * 3 + Math.floor(k / 4)]));
      expect(Wg.length).toBe(12);
    }
  });

  it('reads float64 initializers from raw_data and double_data', () => {
    const vals = [1.5, -2.25, 1e-300, 3];
    const raw = new Uint8Array(new Float64Array(vals).buffer);
    const m = onnx.ModelProto.create({
      irVersion: 7,
      graph: {
        node: [{ opType: 'MatMul', input: ['x', 'a'], output: ['y'] }],
        initializer: [
          { name: 'a', dims: [2, 2], dataType: onnx.TensorProto.DataType.DOUBLE, rawData: raw },
          { name: 'd', dims: [4], dataType: onnx.TensorProto.DataType.DOUBLE, doubleData: vals },
        ],
      },
    });
    const model = decodeOnnxModel(onnx.ModelProto.encode(m).finish());
    for (const name of ['a', 'd']) {
      const t = readInitializer(model, name);
      expect(t.dtype).toBe('float64');
      expect(Array.from(t.data)).toEqual(vals);
    }
    expect(onnxLinearLayers(model).map((l) => [l.dtype, l.rows, l.cols])).toEqual([['float64', 2, 2]]);
  });

  it('names the tensor for other element types, external data and wrong sizes', () => {
    const DT = onnx.TensorProto.DataType;
    const m = onnx.ModelProto.create({
      irVersion: 7,
      graph: {
        node: [{ opType: 'Reshape', input: ['x', 'shape'], output: ['y'] }],
        initializer: [
          { name: 'shape', dims: [2], dataType: DT.INT64, int64Data: [1, -1] },
          { name: 'half', dims: [2], dataType: DT.FLOAT16, rawData: new Uint8Array(4) },
          { name: 'short', dims: [3], dataType: DT.FLOAT, rawData: new Uint8Array(8) },
          { name: 'few', dims: [3], dataType: DT.FLOAT, floatData: [1, 2] },
          { name: 'huge', dims: [1e6, 1e6, 1e6], dataType: DT.FLOAT, rawData: new Uint8Array(4) },
          { name: 'negative', dims: [-1, 4], dataType: DT.FLOAT, floatData: [1, 2, 3, 4] },
          { name: 'outside', dims: [2], dataType: DT.FLOAT, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [{ key: 'location', value: 'w.bin' }] },
        ],
      },
    });
    const model = decodeOnnxModel(onnx.ModelProto.encode(m).finish());
    expect(onnxInitializers(model).map((t) => t.elemType)).toEqual(['INT64', 'FLOAT16', 'FLOAT', 'FLOAT', 'FLOAT', 'FLOAT', 'FLOAT']);
    expect(() => readInitializer(model, 'huge')).toThrow(/initializer "huge" must be 4000000000000000000 bytes .*got "4 bytes of raw_data"/);
    expect(() => readInitializer(model, 'negative')).toThrow(/initializer "negative" must be a tensor with non-negative integer dims; got "dims \[-1, 4\]"/);
    expect(() => readInitializer(model, 'shape')).toThrow(/readInitializer: argument initializer "shape" must be a FLOAT or DOUBLE tensor; got "INT64"/);
    expect(() => readInitializer(model, 'half')).toThrow(/initializer "half" .*FLOAT16/);
    expect(() => readInitializer(model, 'short')).toThrow(/initializer "short" must be 12 bytes .*got "8 bytes of raw_data"/);
    expect(() => readInitializer(model, 'few')).toThrow(/initializer "few" must be 3 values .*got "2 values in float_data"/);
    expect(() => readInitializer(model, 'outside')).toThrow(/initializer "outside" .*external data/);
    expect(() => readInitializer(model, 'nope')).toThrow(/readInitializer: argument name must be an initializer of the graph .*got "nope"/);
  });

  // Found by fuzzing (test/node/onnx-fuzz.test.ts): weights whose dims no layer can have.
  it('lists no layer for a weight of negative, huge or empty dims (and never loops over an empty side)', () => {
    const DT = onnx.TensorProto.DataType;
    const huge = '9223372036854775807';
    const m = onnx.ModelProto.create({
      irVersion: 7,
      graph: {
        node: [
          { opType: 'Gemm', name: 'neg', input: ['x', 'wn'], output: ['a'] },
          { opType: 'Conv', name: 'int64', input: ['x', 'wi'], output: ['b'] },
          { opType: 'MatMul', name: 'overflow', input: ['x', 'wo'], output: ['c'] },
          { opType: 'MatMul', name: 'empty', input: ['x', 'we'], output: ['d'] },
          { opType: 'MatMul', name: 'fine', input: ['x', 'wf'], output: ['e'] },
        ],
        initializer: [
          { name: 'wn', dims: [2, -2], dataType: DT.FLOAT, rawData: new Uint8Array(16) },
          { name: 'wi', dims: [huge as never, 1, 3, 3], dataType: DT.FLOAT, rawData: new Uint8Array(36) },
          { name: 'wo', dims: [2 ** 40, 2 ** 40], dataType: DT.FLOAT, rawData: new Uint8Array(4) },
          { name: 'we', dims: [2 ** 40, 0], dataType: DT.FLOAT },
          { name: 'wf', dims: [2, 3], dataType: DT.FLOAT, floatData: [1, 2, 3, 4, 5, 6] },
        ],
      },
    });
    const model = decodeOnnxModel(onnx.ModelProto.encode(m).finish(), 'dims.onnx');
    expect(onnxLayers(model).map((l) => [l.node, l.rows, l.cols])).toEqual([['fine', 3, 2]]);
    expect(onnxSkippedLayers(model).map((s) => [s.node, s.unsupportedType, s.reason])).toEqual([
      ['neg', false, 'its weight "wn" has dims [2, -2], not non-negative integers'],
      ['int64', false, 'its weight "wi" has dims [9223372036854776000, 1, 3, 3], not non-negative integers'],
      ['overflow', false, 'its weight "wo" has dims [1099511627776, 1099511627776], more values than a model can hold'],
      ['empty', false, 'its weight "we" is empty (dims [1099511627776, 0])'],
    ]);
    // A layer made by hand for the empty weight reads as empty at once (it used to loop 2^40 times).
    const empty: OnnxLayer = { ...onnxLayers(model)[0], node: 'empty', weight: 'we', rows: 0, cols: 2 ** 40 };
    expect(layerWeight(model, empty).length).toBe(0);
  });

  it('layerWeight and setLayerWeight refuse a layer that does not describe the model’s initializer', () => {
    const a = decodeOnnxModel(tinyModel(1).bytes, 'a.onnx');
    const [mm] = onnxLinearLayers(a); // wm [5, 3] FLOAT: W 3x5
    const wrongShape: OnnxLayer = { ...mm, rows: 5, cols: 5 };
    expect(() => layerWeight(a, wrongShape)).toThrow(/layerWeight: argument layer must be a layer of the model \(its weight "wm" holds 15 values, shape \[5, 3\]\); got "\\"mm\\", 5x5"/);
    expect(() => layerWeight(a, null as never)).toThrow(/layerWeight: argument layer must be a layer of the model \(from onnxLayers\)/);
    const wrongType: OnnxLayer = { ...mm, dtype: 'float64' };
    expect(() => setLayerWeight(a, wrongType, new Float64Array(15))).toThrow(/setLayerWeight: argument layer must be a layer of the model \(its weight "wm" is FLOAT \[5, 3\]\); got "\\"mm\\", 3x5 float64"/);
    expect(() => setLayerWeight(a, { ...mm, rows: 2, cols: 5 }, new Float32Array(10))).toThrow(/setLayerWeight: argument layer must be a layer of the model/);
    expect(Array.from(layerWeight(a, mm))).toEqual(Array.from(layerWeight(decodeOnnxModel(tinyModel(1).bytes), mm))); // untouched
  });

  it('checkInitializer checks an initializer as readInitializer would, without reading it', () => {
    const DT = onnx.TensorProto.DataType;
    const m = onnx.ModelProto.create({
      irVersion: 7,
      graph: {
        node: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
        initializer: [
          { name: 'ok', dims: [2], dataType: DT.FLOAT, floatData: [1, 2] },
          { name: 'vast', dims: [2 ** 26, 2 ** 26], dataType: DT.FLOAT, rawData: new Uint8Array(8) },
        ],
      },
    });
    const model = decodeOnnxModel(onnx.ModelProto.encode(m).finish());
    expect(() => checkInitializer(model, 'ok')).not.toThrow();
    expect(() => checkInitializer(model, 'vast')).toThrow(/checkInitializer: argument initializer "vast" must be 18014398509481984 bytes for shape \[67108864, 67108864\] of FLOAT; got "8 bytes of raw_data"/);
    expect(() => checkInitializer(model, 'vast', 'pruneOnnx')).toThrow(/^pruneOnnx: argument initializer "vast"/);
    expect(() => checkInitializer(model, 'nope')).toThrow(/checkInitializer: argument name must be an initializer of the graph/);
  });

  it('refuses a model nested deeper than it could be written again', () => {
    // Found by fuzzing: protobufjs decoded subgraphs ~2,000 deep, then overflowed the stack copying them.
    const varintOf = (n: number) => {
      const o: number[] = [];
      do {
        o.push((n & 0x7f) | (n >= 128 ? 0x80 : 0));
        n = Math.floor(n / 128);
      } while (n > 0);
      return o;
    };
    const field = (no: number, body: Uint8Array) => Uint8Array.from([...varintOf(no * 8 + 2), ...varintOf(body.length), ...body]);
    const { bytes } = tinyModel(1);
    const deep = (levels: number) => {
      let g = new Uint8Array(0);
      for (let d = 0; d < levels; d++) g = field(1, field(5, field(6, g))); // graph { node { attribute { g } } }
      const graph = onnx.GraphProto.encode(decodeOnnxModel(bytes).graph!).finish();
      return Uint8Array.from([0x08, 0x07, ...field(7, Uint8Array.from([...graph, ...g]))]);
    };
    expect(() => decodeOnnxModel(deep(2000), 'deep.onnx')).toThrow(/decodeOnnxModel: argument deep.onnx must be an ONNX model nested at most 200 messages deep .*got "messages nested more than 200 deep"/);
    // A few nested subgraphs, as If and Loop have, are fine, and copy and write again.
    const model = decodeOnnxModel(deep(10));
    const [mm] = onnxLinearLayers(model);
    expect(decodeOnnxModel(encodeOnnxModel(withLayerWeight(model, mm, new Float32Array(15)))).graph!.node!.length).toBe(4);
  });

  it.skipIf(!SHARED_DATA)('refuses malformed bytes with a clear error', () => {
    const r = rng(9);
    const noise = Uint8Array.from({ length: 64 }, () => Math.floor(r() * 256));
    expect(() => decodeOnnxModel(noise, 'noise.onnx')).toThrow(/decodeOnnxModel: argument noise.onnx must be an ONNX model/);
    expect(() => decodeOnnxModel(new Uint8Array(0))).toThrow(/decodeOnnxModel: argument bytes must be an ONNX model .*with a graph of nodes; decoded none; got "0 bytes"/);
    expect(() => decodeOnnxModel(cnnBytes.subarray(0, cnnBytes.length - 1000), 'cut.onnx')).toThrow(/decodeOnnxModel: argument cut.onnx must be an ONNX model \(ModelProto\); protobuf decoding failed/);
    expect(() => decodeOnnxModel(new TextEncoder().encode('{"not": "onnx"}'))).toThrow(/decodeOnnxModel/);
    expect(() => decodeOnnxModel([1, 2, 3] as unknown as Uint8Array)).toThrow(TypeError);
    for (let i = 0; i < 200; i++) {
      const junk = Uint8Array.from({ length: 1 + Math.floor(r() * 300) }, () => Math.floor(r() * 256));
      let model: OnnxModel | undefined;
      try {
        model = decodeOnnxModel(junk);
      } catch (err) {
        expect(err).toBeInstanceOf(RangeError);
        expect((err as Error).message).toMatch(/^decodeOnnxModel: argument bytes must be an ONNX model/);
      }
      if (model) expect(model.graph!.node!.length).toBeGreaterThan(0);
    }
  });

  it.skipIf(!SHARED_DATA)('refuses bad arguments to withGraphOutputs and withLayerWeight', () => {
    const [, fc2] = onnxLinearLayers(cnn);
    expect(() => withGraphOutputs(cnn, ['no-such-tensor'])).toThrow(/withGraphOutputs: argument names must be a tensor that a node of the graph produces; got "no-such-tensor"/);
    expect(() => withLayerWeight(cnn, fc2, new Float32Array(5))).toThrow(/withLayerWeight: argument W must be 1280 values \(10x128\) for "fc2.weight"; got "5 values"/);
    const bad = layerWeight(cnn, fc2).slice();
    bad[17] = NaN;
    expect(() => withLayerWeight(cnn, fc2, bad)).toThrow(/withLayerWeight: argument W\[17\] must be a finite number; got NaN/);
  });
});

describe('capture with onnxruntime-web', () => {
  it('H of every layer equals a plain float64 XᵀX of the layer inputs (uneven batches, graph-input layer, rank 3)', async () => {
    for (const rank3 of [false, true]) {
      const { bytes, Wm } = tinyModel(5, rank3);
      const model = decodeOnnxModel(bytes);
      const n = 37, shape = rank3 ? [2, 5] : [5];
      const x = randoms(n * (rank3 ? 10 : 5), rng(6));
      const got = await captureLayerHessians(la, model, { input: 'x', data: x, sampleShape: shape }, { batchSize: 8 });
      try {
        expect(got.map((g) => [g.layer.op, g.stats.samples])).toEqual(rank3 ? [['MatMul', 2 * n]] : [['MatMul', n], ['Gemm', n]]);
        expectAllClose(await hessianOf(got[0]), gram(x, x.length / 5, 5), 1e-12);
        if (!rank3) {
          const Wmt = layerWeight(model, got[0].layer);
          const r = apply(Wmt, 3, 5, x, n).map((v) => Math.max(v, 0));
          expectAllClose(await hessianOf(got[1]), gram(r, n, 3), 1e-5);
        }
        expect(Wm.length).toBe(15);
      } finally {
        for (const g of got) g.stats.free();
      }
    }
  });

  it('a non-finite layer input is an error of captureLayerHessians, not lost in a batch still being added', async () => {
    const { bytes } = tinyModel(7);
    const model = decodeOnnxModel(bytes);
    const x = randoms(40 * 5, rng(8));
    x[33 * 5 + 2] = Infinity; // sample 33 of the graph input, which the MatMul layer reads
    const before = la.liveBytes();
    await expect(captureLayerHessians(la, model, { input: 'x', data: x, sampleShape: [5] }, { batchSize: 16 })).rejects.toThrow(/HessianAccumulator\.addBatch: argument X\[1, 2\] must be a finite number; got Infinity/);
    expect(la.liveBytes()).toBe(before); // every accumulator freed
  });

  it('float64 models: DOUBLE weights and inputs, H from float64 inputs', async () => {
    const r = rng(21);
    const Wd = Float64Array.from({ length: 12 }, () => 2 * r() - 1);
    const DOUBLE = onnx.TensorProto.DataType.DOUBLE;
    const m = onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'double',
        node: [
          { opType: 'Relu', input: ['x'], output: ['r'] },
          { opType: 'MatMul', input: ['r', 'w'], output: ['y'] },
        ],
        initializer: [{ name: 'w', dims: [4, 3], dataType: DOUBLE, rawData: new Uint8Array(Wd.buffer) }],
        input: [{ name: 'x', type: { tensorType: { elemType: DOUBLE, shape: { dim: [{ dimParam: 'N' }, { dimValue: 4 }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: DOUBLE, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }] } } } }],
      },
    });
    const model = decodeOnnxModel(onnx.ModelProto.encode(m).finish());
    const n = 23, x = Float64Array.from({ length: n * 4 }, () => 2 * r() - 1);
    const [got] = await captureLayerHessians(la, model, { input: 'x', data: x, sampleShape: [4] }, { batchSize: 5 });
    try {
      expect([got.layer.dtype, got.layer.rows, got.layer.cols, got.stats.samples]).toEqual(['float64', 3, 4, n]);
      expectAllClose(await hessianOf(got), gram(x.map((v) => Math.max(v, 0)), n, 4), 1e-14);
    } finally {
      got.stats.free();
    }
  });

  it.skipIf(!SHARED_DATA)('on mnist-cnn: 97.35% top-1 on the first 2,000 test digits, and H as plain XᵀX', async () => {
    const images = await readIdxFile(sharedData('mnist/t10k-images-idx3-ubyte.gz'));
    const labels = await readIdxFile(sharedData('mnist/t10k-labels-idx1-ubyte.gz'));
    const acc = await onnxTop1(cnnBytes, { input: 'input', data: mnistInputs(images, 0, 2000), sampleShape: [1, 28, 28] }, mnistLabels(labels, 0, 2000));
    expect(acc).toBe(1947 / 2000);

    const n = 150;
    const data = mnistInputs(images, 0, n);
    const layers = onnxLinearLayers(cnn);
    const got = await captureLayerHessians(la, cnn, { input: 'input', data, sampleShape: [1, 28, 28] }, { batchSize: 64, layers, ort: ort as never });
    const out = await run(encodeOnnxModel(withGraphOutputs(cnn, layers.map((l) => l.input))), { input: new ort.Tensor('float32', data, [n, 1, 28, 28]) });
    try {
      // fc2 in full; fc1 on a random sample of entries (a full 3136² XᵀX in plain JS is slow).
      const X2 = out[layers[1].input].data as Float32Array;
      expectAllClose(await hessianOf(got[1]), gram(X2, n, 128), 1e-9);
      const X1 = out[layers[0].input].data as Float32Array, H1 = await got[0].stats.hessian('float64');
      expect(H1.rows).toBe(3136);
      const at = async (i: number, j: number) => (await la.read(H1.view(i, j, 1, 1)))[0];
      const r = rng(11);
      for (let t = 0; t < 300; t++) {
        const i = Math.floor(r() * 3136), j = Math.floor(r() * 3136);
        let s = 0, mag = 0;
        for (let k = 0; k < n; k++) {
          s += X1[k * 3136 + i] * X1[k * 3136 + j];
          mag += Math.abs(X1[k * 3136 + i] * X1[k * 3136 + j]);
        }
        const hij = await at(i, j);
        expect(Math.abs(hij - s)).toBeLessThanOrEqual(1e-12 * Math.max(1, mag));
        expect(hij).toBe(await at(j, i));
      }
      H1.free();
    } finally {
      for (const g of got) g.stats.free();
    }
  });

  it.skipIf(!SHARED_DATA)('refuses samples that do not fit the model', async () => {
    const data = new Float32Array(784 * 2);
    await expect(captureLayerHessians(la, cnn, { input: 'image', data, sampleShape: [1, 28, 28] })).rejects.toThrow(/captureLayerHessians: argument samples.input must be a graph input \(input\); got "image"/);
    await expect(captureLayerHessians(la, cnn, { input: 'input', data: data.subarray(1), sampleShape: [1, 28, 28] })).rejects.toThrow(/captureLayerHessians: argument samples.data must be a multiple of the sample size 784/);
    await expect(captureLayerHessians(la, cnn, { input: 'input', data, sampleShape: [1, 28, 28] }, { batchSize: 0 })).rejects.toThrow(/options.batchSize/);
    await expect(onnxTop1(cnnBytes, { input: 'input', data, sampleShape: [1, 28, 28] }, [1])).rejects.toThrow(/onnxTop1: argument labels must be one label per sample \(2\)/);
  });
});
