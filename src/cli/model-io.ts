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
  | { kind: 'onnx'; path: string; bytes: Uint8Array; model: OnnxModel; input: string; sampleShape: number[] | null }
  | { kind: 'llama'; path: string; config: LlamaConfig; checkpoint: Checkpoint; tokenizer: LlamaTokenizer; files: string[] };

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
    const inputs = onnxGraphIO(model).inputs;
    if (inputs.length !== 1) throw new InputError(`${flagValue(flag, path)}: the model has ${inputs.length} graph inputs (${inputs.join(', ')}); iobs feeds models with one input`);
    return { kind, path, bytes, model, input: inputs[0], sampleShape: declaredSampleShape(model, inputs[0]) };
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

/**
 * Samples for an ONNX model from `path`: a .npy of float32 inputs [N, ...sample shape] (or
 * [N, size] when the size fits the declared shape), or MNIST IDX images normalised as the MNIST
 * models expect ((x/255 − 0.1307)/0.3081, shape [N, 1, 28, 28]). `limit` takes the first samples.
 */
export async function readOnnxSamples(flag: string, path: string, m: Extract<ModelInput, { kind: 'onnx' }>, limit?: number): Promise<OnnxSamples> {
  let data: Float32Array;
  let shape: number[];
  if (isIdx(path)) {
    const images = await readingInput(flag, path, () => readIdxFile(path));
    if (images.shape.length !== 3) throw new InputError(`${flagValue(flag, path)}: an IDX file of shape [${images.shape.join(', ')}]; expected images [N, rows, cols]`);
    const n = Math.min(images.shape[0], limit ?? Infinity);
    data = mnistInputs(images, 0, n);
    shape = [n, 1, images.shape[1], images.shape[2]];
  } else {
    const a = await readingInput(flag, path, () => readNpyFile(path));
    if (!(a.data instanceof Float32Array)) throw new InputError(`${flagValue(flag, path)}: ${a.dtype} data; expected float32 model inputs`);
    if (a.shape.length < 2) throw new InputError(`${flagValue(flag, path)}: shape (${a.shape.join(', ')}); expected [samples, ...] with one sample per row`);
    const n = Math.min(a.shape[0], limit ?? Infinity);
    const size = a.data.length / a.shape[0];
    data = a.data.subarray(0, n * size);
    shape = [n, ...a.shape.slice(1)];
  }
  let sampleShape = shape.slice(1);
  const size = sampleShape.reduce((x, y) => x * y, 1);
  if (m.sampleShape) {
    const want = m.sampleShape.reduce((x, y) => x * y, 1);
    if (want !== size) throw new InputError(`${flagValue(flag, path)}: samples of shape [${sampleShape.join(', ')}]; the model's input ${m.input} takes [${m.sampleShape.join(', ')}]`);
    sampleShape = m.sampleShape;
  }
  if (shape[0] === 0) throw new InputError(`${flagValue(flag, path)}: no samples`);
  return { input: m.input, data, sampleShape };
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
