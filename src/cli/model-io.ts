// What the whole-model commands (prune, eval, demo) read: a model (an .onnx file, or a Hugging Face
// Llama folder), its calibration or evaluation data (a .npy of inputs or MNIST IDX files for an
// ONNX model, text for a Llama), and labels. Every failure is an InputError naming the flag and
// the file, raised before any pruning. Node only.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { flagValue } from './args.js';
import { isIobsError } from '../core/errors.js';
import { InputError, readingInput } from './errors.js';
import { readIdxFile, readNpyFile } from '../io/files.js';
import { parseNpy } from '../io/npy.js';
import { didYouMean } from '../core/errors.js';
import { openCheckpointFolder } from '../io/safetensors-node.js';
import type { Checkpoint } from '../io/safetensors.js';
import { mnistInputs } from '../models/mnist.js';
import { parseLlamaConfig, type LlamaConfig } from '../models/llama/config.js';
import { LlamaTokenizer } from '../models/llama/tokenizer.js';
import { splitStories } from '../models/llama/perplexity.js';
import { decodeOnnxModel, onnxGraphIO, type OnnxModel } from '../models/onnx/reader.js';
import type { OnnxSamples } from '../models/onnx/capture.js';

/** A model as the commands see it. */
export type ModelInput =
  | {
    kind: 'onnx'; path: string; bytes: Uint8Array; model: OnnxModel;
    /** The first graph input and the declared shape of one of its samples (null when not all static). */
    input: string; sampleShape: number[] | null;
    /** Every graph input, in graph order. */
    inputs: OnnxInputInfo[];
  }
  | { kind: 'llama'; path: string; config: LlamaConfig; checkpoint: Checkpoint; tokenizer: LlamaTokenizer; files: string[] };

/** A graph input of an ONNX model: its name, element type and the declared shape of one sample (null when not all static). */
export interface OnnxInputInfo {
  name: string;
  /** 'float32', 'float64', 'int64', 'int32', or the ONNX element type code as text for others. */
  type: string;
  sampleShape: number[] | null;
}

/** Files of a Llama folder copied unchanged into a pruned copy (everything but the weights). */
const LLAMA_SIDE_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.model'];

/** A library error's message without its "fn: argument " lead (the caller names the file). */
function reasonOf(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return isIobsError(e) ? message.replace(/^\w+: (argument )?/, '') : message;
}

async function kindOf(flag: string, path: string): Promise<'onnx' | 'llama'> {
  let s;
  try {
    s = await stat(path);
  } catch {
    throw new InputError(`${flagValue(flag, path)}: no such file or folder`);
  }
  if (s.isDirectory()) {
    try {
      await stat(join(path, 'config.json'));
    } catch {
      throw new InputError(`${flagValue(flag, path)}: a folder without config.json; expected a Hugging Face Llama folder (config.json, model.safetensors, tokenizer.json) or an .onnx file`);
    }
    return 'llama';
  }
  if (path.toLowerCase().endsWith('.onnx')) return 'onnx';
  throw new InputError(`${flagValue(flag, path)}: expected an .onnx file or a Hugging Face Llama folder`);
}

async function readJson(flag: string, path: string, file: string): Promise<unknown> {
  const at = join(path, file);
  const text = await readingInput(flag, at, () => readFile(at, 'utf8'));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${flagValue(flag, path)}: ${file} is not valid JSON (${(e as Error).message})`);
  }
}

/** The declared shape of one sample of the graph input (dims after the batch), or null when not all static. */
function declaredSampleShape(model: OnnxModel, input: string): number[] | null {
  const info = model.graph?.input?.find((i) => i.name === input);
  const dims = info?.type?.tensorType?.shape?.dim;
  if (!dims || dims.length < 2) return null;
  const rest = dims.slice(1).map((d) => (d.dimValue != null ? Number(d.dimValue) : 0));
  return rest.every((d) => Number.isInteger(d) && d > 0) ? rest : null;
}

const ELEM_TYPES: Record<number, string> = { 1: 'float32', 11: 'float64', 7: 'int64', 6: 'int32' };

/** The declared element type of a graph input ('float32' when undeclared). */
function declaredType(model: OnnxModel, input: string): string {
  const t = model.graph?.input?.find((i) => i.name === input)?.type?.tensorType?.elemType;
  return t == null ? 'float32' : ELEM_TYPES[t] ?? `element type ${t}`;
}

/**
 * Opens MODEL (the flag names it in errors): an .onnx file is read and decoded; a Llama folder
 * has its config checked, its safetensors headers read (not the weights) and its tokenizer built.
 * `prefixSpace` false drops the tokenizer's leading "▁" (see LlamaTokenizer's prepend option).
 */
export async function openModel(flag: string, path: string, prefixSpace = true): Promise<ModelInput> {
  const kind = await kindOf(flag, path);
  if (kind === 'onnx') {
    const bytes = await readingInput(flag, path, () => readFile(path));
    let model: OnnxModel;
    try {
      model = decodeOnnxModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
    } catch (e) {
      throw new InputError(`${flagValue(flag, path)}: ${reasonOf(e)}`, { cause: e });
    }
    const names = onnxGraphIO(model).inputs;
    if (names.length === 0) throw new InputError(`${flagValue(flag, path)}: the model has no graph inputs to feed`);
    const inputs = names.map((name) => ({ name, type: declaredType(model, name), sampleShape: declaredSampleShape(model, name) }));
    return { kind, path, bytes, model, input: names[0], sampleShape: inputs[0].sampleShape, inputs };
  }
  let config: LlamaConfig;
  try {
    config = parseLlamaConfig(await readJson(flag, path, 'config.json'));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${flagValue(flag, path)}: config.json: ${reasonOf(e)}`, { cause: e });
  }
  const tokenizerJson = await readJson(flag, path, 'tokenizer.json');
  let tokenizerConfig: unknown = {};
  try {
    await stat(join(path, 'tokenizer_config.json'));
    tokenizerConfig = await readJson(flag, path, 'tokenizer_config.json');
  } catch (e) {
    if (e instanceof InputError) throw e;
  }
  let tokenizer: LlamaTokenizer;
  try {
    tokenizer = new LlamaTokenizer(tokenizerJson as object, tokenizerConfig as object, { prepend: prefixSpace });
  } catch (e) {
    throw new InputError(`${flagValue(flag, path)}: tokenizer.json: ${reasonOf(e)}`, { cause: e });
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = await openCheckpointFolder(path);
  } catch (e) {
    throw new InputError(`${flagValue(flag, path)}: ${reasonOf(e)}`, { cause: e });
  }
  const files: string[] = [];
  for (const f of LLAMA_SIDE_FILES) {
    try {
      if ((await stat(join(path, f))).isFile()) files.push(f);
    } catch {
      // Not there: nothing to copy.
    }
  }
  return { kind, path, config, checkpoint, tokenizer, files };
}

/** True for MNIST IDX file names (t10k-images-idx3-ubyte, ….gz). */
function isIdx(path: string): boolean {
  return /idx\d-ubyte(\.gz)?$/i.test(path);
}

/** One `name=file` of a per-input list, as typed. */
interface NamedFile { name: string; path: string }

/** `name=file.npy,name2=file2.npy` split into its parts, or null when `value` is not such a list. */
function namedFiles(value: string): NamedFile[] | null {
  const parts = value.split(',');
  const out: NamedFile[] = [];
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0 || eq === p.length - 1) return null;
    out.push({ name: p.slice(0, eq), path: p.slice(eq + 1) });
  }
  return out;
}

/**
 * The files a data flag's value names: the one path, or each file of a `name=file,…` list (for
 * the commands' check that no output overwrites an input).
 */
export function sampleFilePaths(value: string): string[] {
  return namedFiles(value)?.map((f) => f.path) ?? [value];
}

/** An integer .npy ('<i8' → BigInt64Array, '<i4' → Int32Array, C order), or null when the file holds another dtype. */
function parseIntNpy(bytes: Uint8Array, path: string): { dtype: 'int64' | 'int32'; shape: number[]; data: BigInt64Array | Int32Array } | null {
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') return null;
  const major = bytes[6];
  const headerLength = major === 1 ? bytes[8] | (bytes[9] << 8) : bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  if (descr !== '<i8' && descr !== '<i4') return null;
  if (/'fortran_order'\s*:\s*True/.test(header)) throw new InputError(`${JSON.stringify(path)}: a Fortran-order integer .npy; save it in C order`);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) return null;
  const shape = shapeText.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const at = start + headerLength, width = descr === '<i8' ? 8 : 4;
  if (bytes.length - at < count * width) throw new InputError(`${JSON.stringify(path)}: ${bytes.length - at} bytes of data; shape (${shape.join(', ')}) of ${descr} needs ${count * width}`);
  const copy = bytes.slice(at, at + count * width);
  return descr === '<i8'
    ? { dtype: 'int64', shape, data: new BigInt64Array(copy.buffer, 0, count) }
    : { dtype: 'int32', shape, data: new Int32Array(copy.buffer, 0, count) };
}

/** A .npy of one input's samples [N, ...] of a dtype the input takes; `label` is how errors name it. */
async function readInputNpy(label: string, flag: string, path: string, info: OnnxInputInfo): Promise<{ data: Float32Array | Float64Array | BigInt64Array | Int32Array; shape: number[] }> {
  const a = await readingInput(flag, path, async () => {
    const bytes = new Uint8Array(await readFile(path));
    return parseIntNpy(bytes, path) ?? parseNpy(bytes, path);
  });
  const dtype = 'dtype' in a ? a.dtype : 'float32';
  const fits = info.type === dtype || (info.type === 'int64' && dtype === 'int32');
  if (!fits) {
    const want = info.type === 'int64' ? 'int64 (or int32)' : info.type;
    throw new InputError(`${label}: ${dtype} data; input ${info.name} of the model is ${info.type}, expected a .npy of ${want}`);
  }
  if (a.shape.length < 2 && !(a.shape.length === 1 && info.sampleShape === null)) {
    throw new InputError(`${label}: shape (${a.shape.join(', ')}); expected [samples, ...] with one sample per row`);
  }
  return { data: a.data, shape: a.shape.length === 1 ? [a.shape[0]] : a.shape };
}

/** Fits a file's sample shape to the input's declared one (same size) or refuses it. */
function fitShape(label: string, shape: number[], info: OnnxInputInfo): number[] {
  const sampleShape = shape.slice(1);
  if (!info.sampleShape) return sampleShape;
  const size = sampleShape.reduce((x, y) => x * y, 1), want = info.sampleShape.reduce((x, y) => x * y, 1);
  if (want !== size) throw new InputError(`${label}: samples of shape [${sampleShape.join(', ')}]; the model's input ${info.name} takes [${info.sampleShape.join(', ')}]`);
  return info.sampleShape;
}

/**
 * Samples for an ONNX model from a data flag's value. For a model with one input: a path, to a
 * .npy of its inputs [N, ...sample shape] (or [N, size] when the size fits the declared shape;
 * float32, or int64/int32 for an integer input), or to MNIST IDX images normalised as the MNIST
 * models expect ((x/255 − 0.1307)/0.3081, shape [N, 1, 28, 28]). For a model with several inputs:
 * `name=file.npy,name2=file2.npy`, one .npy per graph input, every file with the same number of
 * samples. `limit` takes the first samples. Every problem is an InputError naming the flag and
 * the file: a missing input, an unknown name (with the closest input), differing sample counts,
 * a dtype the input does not take.
 */
export async function readOnnxSamples(flag: string, value: string, m: Extract<ModelInput, { kind: 'onnx' }>, limit?: number): Promise<OnnxSamples> {
  const names = m.inputs.map((i) => i.name);
  const list = namedFiles(value);
  // One input: a path (even one with '=' in it, when such a file exists), or its `name=file`.
  if (m.inputs.length === 1 && (list === null || await isFile(value))) return readOneInput(flag, value, m, limit);
  if (list === null) {
    throw new InputError(`${flagValue(flag, value)}: the model has ${names.length} graph inputs (${names.join(', ')}); give one .npy per input, as ${flag} ${names.map((n) => `${n}=FILE.npy`).join(',')}`);
  }
  const files = new Map<string, string>();
  for (const f of list) {
    if (!names.includes(f.name)) throw new InputError(`${flagValue(flag, value)}: ${JSON.stringify(f.name)} is not a graph input of the model (${names.join(', ')})${didYouMean(f.name, names)}`);
    if (files.has(f.name)) throw new InputError(`${flagValue(flag, value)}: input ${f.name} is given twice`);
    files.set(f.name, f.path);
  }
  const missing = names.filter((n) => !files.has(n));
  if (missing.length > 0) throw new InputError(`${flagValue(flag, value)}: no file for input${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (the model's inputs: ${names.join(', ')}; give ${flag} ${names.map((n) => `${n}=FILE.npy`).join(',')})`);
  const inputs: Record<string, { data: Float32Array | Float64Array | BigInt64Array | Int32Array; sampleShape: number[] }> = {};
  let first: { label: string; n: number } | null = null;
  for (const info of m.inputs) {
    const path = files.get(info.name)!;
    const label = `${flag} ${info.name}=${JSON.stringify(path)}`;
    const a = await readInputNpy(label, flag, path, info);
    const sampleShape = fitShape(label, a.shape, info);
    const count = a.shape[0];
    if (first === null) first = { label, n: count };
    else if (count !== first.n) throw new InputError(`${label}: ${count} samples; ${first.label.slice(flag.length + 1)} has ${first.n} (every input needs the same number of samples)`);
    const n = Math.min(count, limit ?? Infinity);
    const size = a.data.length / Math.max(1, count);
    inputs[info.name] = { data: a.data.subarray(0, n * size), sampleShape };
  }
  if (first!.n === 0) throw new InputError(`${flagValue(flag, value)}: no samples`);
  return { inputs };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The one input's samples from one path (.npy or MNIST IDX); the several-input form for an integer input. */
async function readOneInput(flag: string, path: string, m: Extract<ModelInput, { kind: 'onnx' }>, limit?: number): Promise<OnnxSamples> {
  const info = m.inputs[0];
  let data: Float32Array | Float64Array | BigInt64Array | Int32Array;
  let shape: number[];
  if (isIdx(path)) {
    const images = await readingInput(flag, path, () => readIdxFile(path));
    if (images.shape.length !== 3) throw new InputError(`${flagValue(flag, path)}: an IDX file of shape [${images.shape.join(', ')}]; expected images [N, rows, cols]`);
    const n = Math.min(images.shape[0], limit ?? Infinity);
    data = mnistInputs(images, 0, n);
    shape = [n, 1, images.shape[1], images.shape[2]];
  } else {
    const a = await readInputNpy(flagValue(flag, path), flag, path, info);
    const n = Math.min(a.shape[0], limit ?? Infinity);
    const size = a.data.length / Math.max(1, a.shape[0]);
    data = a.data.subarray(0, n * size);
    shape = [n, ...a.shape.slice(1)];
  }
  const sampleShape = fitShape(flagValue(flag, path), shape, info);
  if (shape[0] === 0) throw new InputError(`${flagValue(flag, path)}: no samples`);
  if (data instanceof Float32Array || data instanceof Float64Array) return { input: m.input, data, sampleShape };
  return { inputs: { [m.input]: { data, sampleShape } } };
}

/** Class labels from `path` (MNIST IDX labels or a .npy of integers), the first `count`. */
export async function readLabels(flag: string, path: string, count: number): Promise<Int32Array> {
  let labels: ArrayLike<number>;
  if (isIdx(path)) {
    const idx = await readingInput(flag, path, () => readIdxFile(path));
    if (idx.shape.length !== 1) throw new InputError(`${flagValue(flag, path)}: an IDX file of shape [${idx.shape.join(', ')}]; expected labels [N]`);
    labels = idx.data;
  } else {
    const a = await readingInput(flag, path, () => readNpyFile(path));
    if (a.shape.length !== 1) throw new InputError(`${flagValue(flag, path)}: shape (${a.shape.join(', ')}); expected a vector of labels`);
    labels = a.data;
  }
  if (labels.length < count) throw new InputError(`${flagValue(flag, path)}: ${labels.length} labels for ${count} samples`);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0) throw new InputError(`${flagValue(flag, path)}: label ${i} is ${v}; expected a class index`);
    out[i] = v;
  }
  return out;
}

/** Stories of a text file (split on <|endoftext|>; plain text is one story) as token ids from BOS. */
export async function readStories(flag: string, path: string, tokenizer: LlamaTokenizer): Promise<number[][]> {
  const text = await readingInput(flag, path, () => readFile(path, 'utf8'));
  const stories = splitStories(text);
  if (stories.length === 0) throw new InputError(`${flagValue(flag, path)}: no text`);
  return stories.map((s) => tokenizer.encodeStory(s));
}
