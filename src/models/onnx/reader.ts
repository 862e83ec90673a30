// A small reader for ONNX models on onnx-proto (protobufjs): decode a ModelProto from bytes, read
// float initializers, find the linear layers (Gemm and MatMul with a weight initializer), and make
// modified copies (extra graph outputs, a replaced weight) as bytes again. Platform neutral: bytes in,
// bytes out; nothing here touches a file or a runtime.
import { onnx } from 'onnx-proto';
import type { DType, FloatArray } from '../../core/dtype.js';
import { rangeError, show, typeError } from '../../core/errors.js';

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

/**
 * A linear layer of the graph: a Gemm or MatMul node whose weight is a 2-D initializer. The layer
 * computes y = W x (+ bias) for each row x of its input, with W rows = outputs x cols = inputs.
 */
export interface OnnxLinearLayer {
  /** The node's name, or `<op>#<index>` when it has none. */
  node: string;
  /** Index of the node in graph.node. */
  nodeIndex: number;
  op: 'Gemm' | 'MatMul';
  /** The tensor the layer reads (its calibration inputs X, one row per sample). */
  input: string;
  /** The tensor it writes. */
  output: string;
  /** The weight initializer's name. */
  weight: string;
  /** The initializer's element type: W is read as float32 or float64. */
  dtype: DType;
  /**
   * True when the initializer is stored [outputs, inputs] (Gemm transB = 1), so it is W itself;
   * false when it is stored [inputs, outputs] (Gemm transB = 0, MatMul), so it is Wᵀ.
   */
  transB: boolean;
  /** Outputs (rows of W). */
  rows: number;
  /** Inputs (columns of W). */
  cols: number;
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
 * error messages. Throws a RangeError when the bytes are not a ModelProto with a graph of nodes.
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

/** The data of a float tensor proto, checked against its shape. */
function tensorOf(fn: string, t: onnx.ITensorProto): OnnxTensor {
  const name = t.name ?? '';
  const what = `initializer ${show(name)}`;
  const shape = (t.dims ?? []).map(toInt);
  const size = shape.reduce((a, b) => a * b, 1);
  if (t.dataType !== FLOAT && t.dataType !== DOUBLE) {
    throw rangeError(fn, what, elemTypeName(t.dataType), 'a FLOAT or DOUBLE tensor');
  }
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw rangeError(fn, what, 'external data', 'a tensor stored inside the model (external data files are not read)');
  }
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw rangeError(fn, what, `dims [${shape.join(', ')}]`, 'a tensor with non-negative integer dims');
  }
  const dtype: DType = t.dataType === FLOAT ? 'float32' : 'float64';
  const width = dtype === 'float32' ? 4 : 8;
  const raw = t.rawData;
  const values = dtype === 'float32' ? t.floatData : t.doubleData;
  // Sizes are checked against the stored data before anything is allocated.
  if (raw && raw.length > 0) {
    if (raw.length !== size * width) {
      throw rangeError(fn, what, `${raw.length} bytes of raw_data`, `${size * width} bytes for shape [${shape.join(', ')}] of ${elemTypeName(t.dataType)}`);
    }
  } else if ((values?.length ?? 0) !== size) {
    const field = dtype === 'float32' ? 'float_data' : 'double_data';
    throw rangeError(fn, what, `${values?.length ?? 0} values in ${field}`, `${size} values for shape [${shape.join(', ')}]`);
  }
  const data = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  if (raw && raw.length > 0) {
    if (littleEndian) {
      new Uint8Array(data.buffer).set(raw);
    } else {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < size; i++) data[i] = width === 4 ? view.getFloat32(4 * i, true) : view.getFloat64(8 * i, true);
    }
  } else {
    data.set(values!);
  }
  return { name, dtype, shape, data };
}

/** The node's integer attribute `name`, or `fallback`. */
function intAttribute(node: onnx.INodeProto, name: string, fallback: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a ? toInt(a.i) : fallback;
}

/**
 * The linear layers of the graph, in node order: every Gemm (transA = 0) whose B is a 2-D FLOAT or
 * DOUBLE initializer, and every MatMul whose second input is one. Other nodes, and Gemm/MatMul
 * nodes whose weight is computed or not 2-D, are not layers here.
 *
 * @example
 * onnxLinearLayers(model).map((l) => `${l.weight} ${l.rows}x${l.cols}`);   // ['fc1.weight 128x3136', 'fc2.weight 10x128']
 */
export function onnxLinearLayers(model: OnnxModel): OnnxLinearLayer[] {
  const graph = graphOf(model);
  const layers: OnnxLinearLayer[] = [];
  graph.node.forEach((node, nodeIndex) => {
    if (node.opType !== 'Gemm' && node.opType !== 'MatMul') return;
    if (node.input.length < 2 || node.output.length < 1) return;
    if (node.opType === 'Gemm' && intAttribute(node, 'transA', 0) !== 0) return;
    const t = findInitializer(model, node.input[1]);
    if (!t || t.dims.length !== 2 || (t.dataType !== FLOAT && t.dataType !== DOUBLE)) return;
    const transB = node.opType === 'Gemm' && intAttribute(node, 'transB', 0) !== 0;
    const [d0, d1] = t.dims.map(toInt);
    layers.push({
      node: node.name || `${node.opType}#${nodeIndex}`,
      nodeIndex,
      op: node.opType,
      input: node.input[0],
      output: node.output[0],
      weight: t.name,
      dtype: t.dataType === FLOAT ? 'float32' : 'float64',
      transB,
      rows: transB ? d0 : d1,
      cols: transB ? d1 : d0,
    });
  });
  return layers;
}

/**
 * The layer's weight as W (rows = outputs x cols = inputs, row-major), transposing the initializer
 * when it is stored [inputs, outputs].
 *
 * @example
 * const [fc1] = onnxLinearLayers(model);
 * const W = layerWeight(model, fc1);   // Float32Array of 128·3136, W[r·3136 + c]
 */
export function layerWeight(model: OnnxModel, layer: OnnxLinearLayer): FloatArray {
  const t = readInitializer(model, layer.weight);
  return layer.transB ? t.data : transpose(t.data, layer.cols, layer.rows);
}

/** The rows x cols row-major array `a` transposed (cols x rows), same element type. */
function transpose(a: FloatArray, rows: number, cols: number): FloatArray {
  const out = a instanceof Float32Array ? new Float32Array(a.length) : new Float64Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/**
 * A copy of the model in which the layer's weight initializer holds W (rows x cols, row-major;
 * transposed back when the model stores Wᵀ), written as little-endian raw_data of the initializer's
 * element type. The model itself is not modified.
 *
 * @example
 * const pruned = encodeOnnxModel(withLayerWeight(model, fc1, await la.read(result.weight)));
 */
export function withLayerWeight(model: OnnxModel, layer: OnnxLinearLayer, W: ArrayLike<number>): OnnxModel {
  const fn = 'withLayerWeight';
  const size = layer.rows * layer.cols;
  if (!W || typeof W !== 'object' || typeof (W as ArrayLike<number>).length !== 'number') throw typeError(fn, 'W', W, 'an array of numbers');
  if (W.length !== size) throw rangeError(fn, 'W', `${W.length} values`, `${size} values (${layer.rows}x${layer.cols}) for ${show(layer.weight)}`);
  for (let i = 0; i < size; i++) {
    if (!Number.isFinite(W[i])) throw rangeError(fn, `W[${i}]`, W[i], 'a finite number');
  }
  const copy = copyOnnxModel(model);
  const t = findInitializer(copy, layer.weight);
  if (!t) throw rangeError(fn, 'layer.weight', layer.weight, 'an initializer of the model');
  const typed = layer.dtype === 'float32' ? Float32Array.from(W) : Float64Array.from(W);
  const stored = layer.transB ? typed : transpose(typed, layer.rows, layer.cols);
  t.rawData = littleEndianBytes(stored);
  t.floatData = [];
  t.doubleData = [];
  return copy;
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
