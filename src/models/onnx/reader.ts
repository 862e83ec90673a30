// A small reader for ONNX models on onnx-proto (protobufjs): decode a ModelProto from bytes, read
// float initializers, find the linear layers (Gemm and MatMul with a weight initializer), and make
// modified copies (extra graph outputs, a replaced weight) as bytes again. Platform neutral: bytes in,
// bytes out; nothing here touches a file or a runtime.
import { onnx } from 'onnx-proto';
import type { DType, FloatArray } from '../../core/dtype.js';
import { rangeError, show, typeError } from '../../core/errors.js';
import type { ConvGeometry } from '../../linalg/im2col.js';

/** A decoded ONNX model (onnx-proto's ModelProto). */
export type OnnxModel = onnx.ModelProto;

/** A float initializer read into a typed array (C order, as ONNX stores it). */
export interface OnnxTensor {
  name: string;
  dtype: DType;
  shape: number[];
  data: FloatArray;
}

/** What an initializer is, without reading its data. */
export interface OnnxInitializerInfo {
  name: string;
  /** ONNX element type name: 'FLOAT', 'DOUBLE', 'INT64', ... */
  elemType: string;
  shape: number[];
}

/** How a Conv pads its input (ONNX auto_pad; NOTSET uses the explicit pads). */
export type OnnxAutoPad = 'NOTSET' | 'VALID' | 'SAME_UPPER' | 'SAME_LOWER';

/** The attributes of a 2-D Conv layer, defaults filled in. */
export interface OnnxConvAttributes {
  /** Input channels C (the weight's second dimension). */
  channels: number;
  /** kernel_shape [kh, kw] (the weight's last two dimensions). */
  kernel: [number, number];
  strides: [number, number];
  /** [top, left, bottom, right]; zeros for VALID, and computed from the input's size for SAME_*. */
  pads: [number, number, number, number];
  dilations: [number, number];
  autoPad: OnnxAutoPad;
}

/**
 * A prunable layer of the graph: a Gemm or MatMul node whose weight is a 2-D initializer, or a
 * 2-D Conv (group 1) whose weight is a 4-D initializer. The layer computes y = W x (+ bias) for
 * each row x of its input, with W rows = outputs x cols = inputs; for a Conv, x is one patch of
 * the input (im2col: C·kh·kw values, column order (c, ky, kx)) and the rows are the output channels.
 */
export interface OnnxLayer {
  /** The node's name, or `<op>#<index>` when it has none. */
  node: string;
  /** Index of the node in graph.node. */
  nodeIndex: number;
  op: 'Gemm' | 'MatMul' | 'Conv';
  /** The tensor the layer reads (its calibration inputs X, one row per sample; a Conv's [N, C, H, W]). */
  input: string;
  /** The tensor it writes. */
  output: string;
  /** The weight initializer's name. */
  weight: string;
  /** The initializer's element type: W is read as float32 or float64. */
  dtype: DType;
  /**
   * True when the initializer is stored [outputs, inputs] (Gemm transB = 1, and every Conv, whose
   * [out, C, kh, kw] is W row-major), so it is W itself; false when it is stored [inputs, outputs]
   * (Gemm transB = 0, MatMul), so it is Wᵀ.
   */
  transB: boolean;
  /** Outputs (rows of W): a Conv's output channels. */
  rows: number;
  /** Inputs (columns of W): a Conv's C·kh·kw. */
  cols: number;
  /** A Conv's attributes; null for Gemm and MatMul. */
  conv: OnnxConvAttributes | null;
}

/** The layers onnxLinearLayers lists (Gemm and MatMul); the same shape as every layer. */
export type OnnxLinearLayer = OnnxLayer;

/** A Conv, Gemm or MatMul node that is not a prunable layer, and why. */
export interface OnnxSkippedLayer {
  node: string;
  nodeIndex: number;
  op: string;
  /** The weight input's name (null when the node has none). */
  weight: string | null;
  /** True when the weight is an initializer of an element type that is not pruned (FLOAT16, INT8, …). */
  unsupportedType: boolean;
  reason: string;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const DOUBLE = onnx.TensorProto.DataType.DOUBLE;

/** The ONNX element type code of a dtype (FLOAT = 1, DOUBLE = 11), for withGraphOutputs. */
export function onnxElemType(dtype: DType): number {
  return dtype === 'float32' ? FLOAT : DOUBLE;
}

/** Element type code → its ONNX name ('FLOAT', 'INT64', ...). */
function elemTypeName(code: number | null | undefined): string {
  const name = (onnx.TensorProto.DataType as unknown as Record<number, string>)[code ?? 0];
  return name ?? `type code ${show(code)}`;
}

/** int64 fields come back as numbers or protobufjs Longs. */
function toInt(x: number | { toNumber(): number } | null | undefined): number {
  if (x == null) return 0;
  return typeof x === 'number' ? x : x.toNumber();
}

/**
 * Decodes an ONNX model from its bytes (a .onnx file's contents). `name` (a path, say) is used in
 * error messages. Throws an ArgumentRangeError (a RangeError) naming it when the bytes do not parse
 * as a ModelProto, nest messages more than 200 deep, or hold no graph of nodes.
 *
 * @example
 * const model = decodeOnnxModel(new Uint8Array(await readFile('mnist-cnn.onnx')), 'mnist-cnn.onnx');
 * model.graph.node.length;   // 11
 */
export function decodeOnnxModel(bytes: Uint8Array, name = 'bytes'): OnnxModel {
  const fn = 'decodeOnnxModel';
  if (!(bytes instanceof Uint8Array)) throw typeError(fn, name, bytes, 'a Uint8Array of ONNX model bytes');
  let model: OnnxModel;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw rangeError(fn, name, `${bytes.length} bytes`, `an ONNX model (ModelProto); protobuf decoding failed: ${why}`);
  }
  const depth = nesting(model, MAX_NESTING);
  if (depth > MAX_NESTING) {
    throw rangeError(fn, name, `messages nested more than ${MAX_NESTING} deep`, `an ONNX model nested at most ${MAX_NESTING} messages deep (subgraphs within subgraphs, types within types)`);
  }
  const graph = model.graph as unknown as Graph | null;
  if (!graph || graph.node.length === 0) {
    throw rangeError(fn, name, `${bytes.length} bytes`, 'an ONNX model (ModelProto) with a graph of nodes; decoded none');
  }
  if (toInt(model.irVersion) <= 0) {
    throw rangeError(fn, name, `ir_version ${toInt(model.irVersion)}`, 'an ONNX model with a positive ir_version');
  }
  for (const t of graph.initializer) {
    if (!t.name) throw rangeError(fn, name, 'an initializer without a name', 'an ONNX model whose initializers are named');
  }
  return model;
}

/**
 * How deep decodeOnnxModel lets messages nest (ModelProto → graph → node → attribute → subgraph …
 * counts one a level). protobufjs decodes deeper than it can encode again, so a model nested a few
 * thousand levels deep would decode and then overflow the stack when copied or written; real
 * models nest a handful of subgraphs.
 */
const MAX_NESTING = 200;

/** The nesting depth of the decoded messages of `root` (walked without recursion), or limit + 1 once past it. */
function nesting(root: object, limit: number): number {
  let deepest = 0;
  const stack: [object, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [obj, depth] = stack.pop()!;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const value of Object.values(obj)) {
      if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) continue;
      if (Array.isArray(value)) {
        for (const item of value) if (item !== null && typeof item === 'object' && !ArrayBuffer.isView(item)) stack.push([item, depth + 1]);
      } else {
        stack.push([value, depth + 1]);
      }
    }
  }
  return deepest;
}

/**
 * Encodes a model back to bytes (for a runtime, or a file).
 * @example
 * const bytes = encodeOnnxModel(withGraphOutputs(model, ['/Reshape_output_0']));
 */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** A deep copy of the model (through its encoding, so nothing is shared). */
export function copyOnnxModel(model: OnnxModel): OnnxModel {
  return onnx.ModelProto.decode(encodeOnnxModel(model));
}

/**
 * Name, element type and shape of every initializer of the graph, in graph order; no data is read.
 * @example
 * onnxInitializers(model).map((t) => `${t.name} ${t.elemType} [${t.shape}]`);
 * // ['conv1.weight FLOAT [32,1,3,3]', ..., 'fc2.bias FLOAT [10]']
 */
export function onnxInitializers(model: OnnxModel): OnnxInitializerInfo[] {
  return graphOf(model).initializer.map((t) => ({ name: t.name, elemType: elemTypeName(t.dataType), shape: t.dims.map(toInt) }));
}

/**
 * Reads the float32 or float64 initializer `name` into a typed array, from raw_data (little-endian)
 * or from float_data / double_data. Throws naming the tensor when it is missing, of another element
 * type, stored outside the model (external data), or when its data does not match its shape.
 *
 * @example
 * const w = readInitializer(model, 'fc2.weight');   // { dtype: 'float32', shape: [10, 128], data }
 */
export function readInitializer(model: OnnxModel, name: string): OnnxTensor {
  const fn = 'readInitializer';
  if (typeof name !== 'string') throw typeError(fn, 'name', name, 'an initializer name');
  const t = findInitializer(model, name);
  if (!t) throw rangeError(fn, 'name', name, `an initializer of the graph (it has ${graphOf(model).initializer.length}: ${show(graphOf(model).initializer.map((i) => i.name))})`);
  return tensorOf(fn, t);
}

/**
 * The graph with the fields protobufjs fills on decode (repeated fields are arrays, strings are
 * strings): the interfaces onnx-proto declares mark them all optional.
 */
interface Graph {
  node: onnx.NodeProto[];
  initializer: onnx.TensorProto[];
  input: onnx.ValueInfoProto[];
  output: onnx.ValueInfoProto[];
}

function graphOf(model: OnnxModel): Graph {
  if (!model || typeof model !== 'object' || !model.graph) throw typeError('onnx', 'model', model, 'a decoded ONNX model (decodeOnnxModel)');
  return model.graph as unknown as Graph;
}

function findInitializer(model: OnnxModel, name: string): onnx.TensorProto | undefined {
  return graphOf(model).initializer.find((t) => t.name === name);
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Where a float tensor proto's values are, checked against its shape before anything is allocated. */
interface TensorStorage {
  name: string;
  dtype: DType;
  shape: number[];
  /** Number of values (the product of the dims). */
  size: number;
  /** Little-endian raw_data, or null when the values are in float_data / double_data. */
  raw: Uint8Array | null;
  values: number[] | null;
}

/**
 * The storage of a float tensor proto, checked: FLOAT or DOUBLE, inside the model, non-negative
 * integer dims, and exactly as many bytes (or values) as the dims say. Nothing is allocated, so a
 * huge shape with little data behind it is refused before any typed array exists.
 */
function storageOf(fn: string, t: onnx.ITensorProto): TensorStorage {
  const name = t.name ?? '';
  const what = `initializer ${show(name)}`;
  const shape = (t.dims ?? []).map(toInt);
  if (t.dataType !== FLOAT && t.dataType !== DOUBLE) {
    throw rangeError(fn, what, elemTypeName(t.dataType), 'a FLOAT or DOUBLE tensor');
  }
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw rangeError(fn, what, 'external data', 'a tensor stored inside the model (external data files are not read)');
  }
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw rangeError(fn, what, `dims [${shape.join(', ')}]`, 'a tensor with non-negative integer dims');
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const dtype: DType = t.dataType === FLOAT ? 'float32' : 'float64';
  const width = dtype === 'float32' ? 4 : 8;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const values = (dtype === 'float32' ? t.floatData : t.doubleData) ?? null;
  if (raw) {
    if (raw.length !== size * width) {
      throw rangeError(fn, what, `${raw.length} bytes of raw_data`, `${size * width} bytes for shape [${shape.join(', ')}] of ${elemTypeName(t.dataType)}`);
    }
  } else if ((values?.length ?? 0) !== size) {
    const field = dtype === 'float32' ? 'float_data' : 'double_data';
    throw rangeError(fn, what, `${values?.length ?? 0} values in ${field}`, `${size} values for shape [${shape.join(', ')}]`);
  }
  return { name, dtype, shape, size, raw, values: raw ? null : values };
}

/** The data of a float tensor proto, checked against its shape. */
function tensorOf(fn: string, t: onnx.ITensorProto): OnnxTensor {
  const { name, dtype, shape, size, raw, values } = storageOf(fn, t);
  const data = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  if (raw) {
    if (littleEndian) {
      new Uint8Array(data.buffer).set(raw);
    } else {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < size; i++) data[i] = dtype === 'float32' ? view.getFloat32(4 * i, true) : view.getFloat64(8 * i, true);
    }
  } else if (size > 0) {
    data.set(values!);
  }
  return { name, dtype, shape, data };
}

/**
 * Checks that readInitializer(model, name) would succeed — a FLOAT or DOUBLE initializer stored in
 * the model, whose raw_data or float_data / double_data holds exactly the values its dims say —
 * without reading it (nothing is allocated). Throws as readInitializer does, with `fn` as the
 * function named. For checks before any work, such as pruneOnnx's.
 * @example
 * checkInitializer(model, 'fc1.weight');   // throws on a truncated or mislabelled weight
 */
export function checkInitializer(model: OnnxModel, name: string, fn = 'checkInitializer'): void {
  if (typeof name !== 'string') throw typeError(fn, 'name', name, 'an initializer name');
  const t = findInitializer(model, name);
  if (!t) throw rangeError(fn, 'name', name, `an initializer of the graph (it has ${graphOf(model).initializer.length}: ${show(graphOf(model).initializer.map((i) => i.name))})`);
  storageOf(fn, t);
}

/** The node's attribute `name`, if present. */
function attribute(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return node.attribute?.find((x) => x.name === name);
}

/** The node's integer attribute `name`, or `fallback`. */
function intAttribute(node: onnx.INodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? toInt(a.i) : fallback;
}

/** The node's integer-list attribute `name`, or `fallback`. */
function intsAttribute(node: onnx.INodeProto, name: string, fallback: number[]): number[] {
  const a = attribute(node, name);
  return a && a.ints && a.ints.length > 0 ? a.ints.map((v) => toInt(v as number)) : fallback;
}

/** The node's string attribute `name`, or `fallback`. */
function stringAttribute(node: onnx.INodeProto, name: string, fallback: string): string {
  const a = attribute(node, name);
  return a && a.s && a.s.length > 0 ? new TextDecoder().decode(a.s) : fallback;
}

/** Every Conv, Gemm and MatMul node, as a layer or with the reason it is not one. */
function survey(model: OnnxModel): { layers: OnnxLayer[]; skipped: OnnxSkippedLayer[] } {
  const graph = graphOf(model);
  const layers: OnnxLayer[] = [], skipped: OnnxSkippedLayer[] = [];
  const uses = new Map<string, number>();
  for (const node of graph.node) for (const name of node.input) uses.set(name, (uses.get(name) ?? 0) + 1);
  graph.node.forEach((node, nodeIndex) => {
    const op = node.opType;
    if (op !== 'Gemm' && op !== 'MatMul' && op !== 'Conv') return;
    const name = node.name || `${op}#${nodeIndex}`;
    const weightName = node.input.length >= 2 ? node.input[1] : null;
    const skip = (reason: string, unsupportedType = false) => skipped.push({ node: name, nodeIndex, op, weight: weightName, unsupportedType, reason });
    if (weightName === null || node.output.length < 1) return skip('it has no weight input');
    const t = findInitializer(model, weightName);
    if (!t) return skip(`its weight ${show(weightName)} is computed, not an initializer`);
    if (t.dataType !== FLOAT && t.dataType !== DOUBLE) {
      return skip(`its weight ${show(weightName)} is ${elemTypeName(t.dataType)}; only FLOAT (and DOUBLE) weights are pruned`, true);
    }
    if ((uses.get(weightName) ?? 0) > 1) return skip(`its weight ${show(weightName)} is shared with another node`);
    const dims = t.dims.map(toInt);
    // Dims a weight cannot have (a layer of -2 rows, of 2^80 values, or of none) make no layer.
    if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) return skip(`its weight ${show(weightName)} has dims [${dims.join(', ')}], not non-negative integers`);
    const count = dims.reduce((a, b) => a * b, 1);
    if (count === 0) return skip(`its weight ${show(weightName)} is empty (dims [${dims.join(', ')}])`);
    if (!Number.isSafeInteger(count)) return skip(`its weight ${show(weightName)} has dims [${dims.join(', ')}], more values than a model can hold`);
    const dtype: DType = t.dataType === FLOAT ? 'float32' : 'float64';
    const base = { node: name, nodeIndex, input: node.input[0], output: node.output[0], weight: weightName, dtype };
    if (op === 'Conv') {
      if (dims.length !== 4) return skip(`only 2-D convolutions are pruned (its weight is ${dims.length}-D, [${dims.join(', ')}])`);
      const group = intAttribute(node, 'group', 1);
      if (group !== 1) return skip(`it is a grouped convolution (group = ${group}${dims[1] === 1 ? ', depthwise' : ''}); only group = 1 is pruned`);
      const autoPad = stringAttribute(node, 'auto_pad', 'NOTSET');
      if (autoPad !== 'NOTSET' && autoPad !== 'VALID' && autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') return skip(`its auto_pad ${show(autoPad)} is not an ONNX value`);
      const [out, channels, kh, kw] = dims;
      const kernel = intsAttribute(node, 'kernel_shape', [kh, kw]);
      if (kernel.length !== 2 || kernel[0] !== kh || kernel[1] !== kw) return skip(`its kernel_shape [${kernel.join(', ')}] does not match its weight [${dims.join(', ')}]`);
      const strides = intsAttribute(node, 'strides', [1, 1]), dilations = intsAttribute(node, 'dilations', [1, 1]);
      const pads = autoPad === 'NOTSET' ? intsAttribute(node, 'pads', [0, 0, 0, 0]) : [0, 0, 0, 0];
      if (strides.length !== 2 || dilations.length !== 2 || pads.length !== 4 || [...strides, ...dilations].some((v) => v < 1) || pads.some((v) => v < 0)) {
        return skip(`its strides [${strides}], dilations [${dilations}] or pads [${pads}] are not those of a 2-D convolution`);
      }
      // ONNX orders pads [top, left, bottom, right] (x1_begin, x2_begin, x1_end, x2_end).
      layers.push({
        ...base, op, transB: true, rows: out, cols: channels * kh * kw,
        conv: { channels, kernel: [kh, kw], strides: [strides[0], strides[1]], pads: [pads[0], pads[1], pads[2], pads[3]], dilations: [dilations[0], dilations[1]], autoPad },
      });
      return;
    }
    if (dims.length !== 2) return skip(`its weight ${show(weightName)} is ${dims.length}-D, not 2-D`);
    if (op === 'Gemm' && intAttribute(node, 'transA', 0) !== 0) return skip('it is a Gemm with transA = 1');
    const transB = op === 'Gemm' && intAttribute(node, 'transB', 0) !== 0;
    const [d0, d1] = dims;
    layers.push({ ...base, op, transB, rows: transB ? d0 : d1, cols: transB ? d1 : d0, conv: null });
  });
  return { layers, skipped };
}

/**
 * The prunable layers of the graph, in node order (which ONNX requires to be topological): every
 * 2-D Conv with group 1 whose weight is a FLOAT or DOUBLE initializer (rows = output channels,
 * cols = C·kh·kw), every Gemm (transA = 0) whose B is a 2-D FLOAT or DOUBLE initializer, and every
 * MatMul whose second input is one. A weight that several nodes share is not a layer.
 * onnxSkippedLayers says why each other Conv, Gemm and MatMul is not.
 *
 * @example
 * onnxLayers(model).map((l) => `${l.op} ${l.weight} ${l.rows}x${l.cols}`);
 * // ['Conv conv1.weight 32x9', 'Conv conv2.weight 64x288', 'Gemm fc1.weight 128x3136', 'Gemm fc2.weight 10x128']
 */
export function onnxLayers(model: OnnxModel): OnnxLayer[] {
  return survey(model).layers;
}

/**
 * The Conv, Gemm and MatMul nodes that are not prunable layers, each with the reason: a grouped or
 * depthwise Conv, a weight that is computed or shared, an element type other than FLOAT/DOUBLE
 * (`unsupportedType`), a Gemm with transA, a 1-D or 3-D Conv.
 * @example
 * onnxSkippedLayers(model);   // [{ node: '/dw/Conv', op: 'Conv', reason: 'it is a grouped convolution (group = 32, depthwise); …' }]
 */
export function onnxSkippedLayers(model: OnnxModel): OnnxSkippedLayer[] {
  return survey(model).skipped;
}

/**
 * The linear layers of the graph (onnxLayers without the Conv layers), in node order: every Gemm
 * (transA = 0) whose B is a 2-D FLOAT or DOUBLE initializer, and every MatMul whose second input
 * is one.
 *
 * @example
 * onnxLinearLayers(model).map((l) => `${l.weight} ${l.rows}x${l.cols}`);   // ['fc1.weight 128x3136', 'fc2.weight 10x128']
 */
export function onnxLinearLayers(model: OnnxModel): OnnxLinearLayer[] {
  return onnxLayers(model).filter((l) => l.op !== 'Conv');
}

/**
 * The im2col geometry of a Conv layer on an input of height x width (auto_pad SAME_UPPER and
 * SAME_LOWER padding is computed from that size, as ONNX defines it: the output is ⌈size/stride⌉,
 * the odd pad at the end for SAME_UPPER, at the start for SAME_LOWER).
 * @example
 * const [conv1] = onnxLayers(model);
 * convGeometry(conv1, 28, 28);   // { channels: 1, height: 28, width: 28, kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] }
 */
export function convGeometry(layer: OnnxLayer, height: number, width: number): ConvGeometry {
  const c = layer.conv;
  if (!c) throw typeError('convGeometry', 'layer', layer.node, 'a Conv layer (from onnxLayers)');
  let pads: number[] = [...c.pads];
  if (c.autoPad === 'SAME_UPPER' || c.autoPad === 'SAME_LOWER') {
    const total = [height, width].map((size, i) => Math.max(0, (Math.ceil(size / c.strides[i]) - 1) * c.strides[i] + (c.kernel[i] - 1) * c.dilations[i] + 1 - size));
    const begin = total.map((t) => (c.autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2)));
    pads = [begin[0], begin[1], total[0] - begin[0], total[1] - begin[1]];
  }
  return { channels: c.channels, height, width, kernel: [...c.kernel], strides: [...c.strides], pads, dilations: [...c.dilations] };
}

/**
 * The layer's weight as W (rows = outputs x cols = inputs, row-major), transposing the initializer
 * when it is stored [inputs, outputs].
 *
 * @example
 * const [fc1] = onnxLinearLayers(model);
 * const W = layerWeight(model, fc1);   // Float32Array of 128·3136, W[r·3136 + c]
 */
export function layerWeight(model: OnnxModel, layer: OnnxLayer): FloatArray {
  const fn = 'layerWeight';
  if (!layer || typeof layer !== 'object' || typeof layer.weight !== 'string') throw typeError(fn, 'layer', layer, 'a layer of the model (from onnxLayers)');
  const t = readInitializer(model, layer.weight);
  if (!Number.isSafeInteger(layer.rows) || !Number.isSafeInteger(layer.cols) || layer.rows < 0 || layer.cols < 0 || t.data.length !== layer.rows * layer.cols) {
    throw rangeError(fn, 'layer', `${show(layer.node)}, ${layer.rows}x${layer.cols}`, `a layer of the model (its weight ${show(layer.weight)} holds ${t.data.length} values, shape [${t.shape.join(', ')}])`);
  }
  return layer.transB ? t.data : transpose(t.data, layer.cols, layer.rows);
}

/** The rows x cols row-major array `a` transposed (cols x rows), same element type. */
function transpose(a: FloatArray, rows: number, cols: number): FloatArray {
  const out = a instanceof Float32Array ? new Float32Array(a.length) : new Float64Array(a.length);
  // An empty array stays empty (its other side may be huge: no loop over it).
  if (a.length === 0) return out;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/**
 * A copy of the model in which the layer's weight initializer holds W (rows x cols, row-major;
 * transposed back when the model stores Wᵀ), in the form the initializer had: little-endian
 * raw_data, or float_data / double_data. The model itself is not modified.
 *
 * @example
 * const pruned = encodeOnnxModel(withLayerWeight(model, fc1, await la.read(result.weight)));
 */
export function withLayerWeight(model: OnnxModel, layer: OnnxLayer, W: ArrayLike<number>): OnnxModel {
  const copy = copyOnnxModel(model);
  setLayerWeight(copy, layer, W, 'withLayerWeight');
  return copy;
}

/**
 * Writes W into the layer's initializer of `model` itself (in place: for a model the caller owns,
 * such as a copy), keeping the initializer's storage form. Checks W as withLayerWeight does.
 * @example
 * const work = copyOnnxModel(model);
 * for (const layer of onnxLayers(work)) setLayerWeight(work, layer, pruned[layer.weight]);
 */
export function setLayerWeight(model: OnnxModel, layer: OnnxLayer, W: ArrayLike<number>, fn = 'setLayerWeight'): void {
  const size = layer.rows * layer.cols;
  if (!W || typeof W !== 'object' || typeof (W as ArrayLike<number>).length !== 'number') throw typeError(fn, 'W', W, 'an array of numbers');
  if (W.length !== size) throw rangeError(fn, 'W', `${W.length} values`, `${size} values (${layer.rows}x${layer.cols}) for ${show(layer.weight)}`);
  for (let i = 0; i < size; i++) {
    if (!Number.isFinite(W[i])) throw rangeError(fn, `W[${i}]`, W[i], 'a finite number');
  }
  const t = findInitializer(model, layer.weight);
  if (!t) throw rangeError(fn, 'layer.weight', layer.weight, 'an initializer of the model');
  // The layer must describe this initializer: a W of another size or type would corrupt it.
  const dims = t.dims.map(toInt), count = dims.reduce((a, b) => a * b, 1);
  if (t.dataType !== onnxElemType(layer.dtype) || count !== size) {
    throw rangeError(fn, 'layer', `${show(layer.node)}, ${layer.rows}x${layer.cols} ${layer.dtype}`, `a layer of the model (its weight ${show(layer.weight)} is ${elemTypeName(t.dataType)} [${dims.join(', ')}])`);
  }
  const typed = layer.dtype === 'float32' ? Float32Array.from(W) : Float64Array.from(W);
  const stored = layer.transB ? typed : transpose(typed, layer.rows, layer.cols);
  const asValues = !(t.rawData && t.rawData.length > 0) && ((layer.dtype === 'float32' ? t.floatData : t.doubleData)?.length ?? 0) > 0;
  if (asValues) {
    if (layer.dtype === 'float32') t.floatData = Array.from(stored);
    else t.doubleData = Array.from(stored);
  } else {
    t.rawData = littleEndianBytes(stored);
    t.floatData = [];
    t.doubleData = [];
  }
}

function littleEndianBytes(a: FloatArray): Uint8Array {
  if (littleEndian) return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const out = new Uint8Array(a.byteLength), view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) view.setFloat32(4 * i, a[i], true);
    else view.setFloat64(8 * i, a[i], true);
  }
  return out;
}

/**
 * A copy of the model with the named tensors added to the graph's outputs (each once; names already
 * outputs, or graph inputs, are left as they are), so a runtime returns them too — the inputs of
 * each layer, say. `elemType` is the ONNX element type written into each new output (default FLOAT).
 * Throws naming a tensor that no node of the graph produces and that is not a graph input.
 *
 * @example
 * const probe = withGraphOutputs(model, onnxLinearLayers(model).map((l) => l.input));
 */
export function withGraphOutputs(model: OnnxModel, names: string[], elemType: number = FLOAT): OnnxModel {
  const fn = 'withGraphOutputs';
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === '')) throw typeError(fn, 'names', names, 'an array of tensor names');
  const graph = graphOf(model);
  const produced = new Set<string>(graph.node.flatMap((n) => n.output));
  const inputs = new Set<string>(graph.input.map((i) => i.name));
  for (const n of names) {
    if (!produced.has(n) && !inputs.has(n)) throw rangeError(fn, 'names', n, 'a tensor that a node of the graph produces');
  }
  const copy = copyOnnxModel(model);
  const g = graphOf(copy);
  const present = new Set<string>(g.output.map((o) => o.name));
  for (const n of names) {
    if (present.has(n) || inputs.has(n)) continue;
    present.add(n);
    g.output.push(onnx.ValueInfoProto.create({ name: n, type: { tensorType: { elemType } } }));
  }
  return copy;
}

/**
 * Names of the graph's inputs that are fed at run time (initializers listed as inputs, as older
 * exporters do, are left out), and of its outputs.
 * @example
 * onnxGraphIO(model);   // { inputs: ['input'], outputs: ['output'] }
 */
export function onnxGraphIO(model: OnnxModel): { inputs: string[]; outputs: string[] } {
  const g = graphOf(model);
  const init = new Set(g.initializer.map((t) => t.name));
  return { inputs: g.input.map((i) => i.name).filter((n) => !init.has(n)), outputs: g.output.map((o) => o.name) };
}
