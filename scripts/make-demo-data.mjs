// Makes demo/ from ../shared/data: the two real models the demo prunes and the slices of data it
// calibrates and scores on, so that a fresh clone and the installed package run `npm run demo`
// without ../shared. Deterministic: rerunning it reproduces the committed files byte for byte
// (gzip without a timestamp). The slices:
//   TinyStories: stories 0–199 (calibration) and 500–699 (evaluation) of tinystories-valid.txt;
//   MNIST test set: digits 0–999 (calibration) and 5000–6999 (evaluation), images and labels.
//   node scripts/make-demo-data.mjs [--shared ../shared/data] [--check]
// With --check it writes nothing and exits 1 when a committed file differs from what it would make.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const sharedAt = args.indexOf('--shared');
const shared = sharedAt >= 0 ? resolve(args[sharedAt + 1]) : resolve(root, '../shared/data');
const check = args.includes('--check');
const demo = join(root, 'demo');

const STORY_SEPARATOR = '<|endoftext|>';
const CALIB_STORIES = [0, 200];
const EVAL_STORIES = [500, 700];
const CALIB_DIGITS = [0, 1000];
const EVAL_DIGITS = [5000, 7000];
const LLAMA_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json'];

/** Every file to make: path under demo/ → its bytes. */
const files = new Map();

/** The stories of a TinyStories text, as separated by <|endoftext|> (trimmed; empty pieces dropped). */
function stories(text) {
  return text.split(STORY_SEPARATOR).map((s) => s.trim()).filter((s) => s.length > 0);
}

const text = readFileSync(join(shared, 'text/tinystories-valid.txt'), 'utf8');
const all = stories(text);
for (const [name, [a, b]] of [['tinystories-calib.txt', CALIB_STORIES], ['tinystories-eval.txt', EVAL_STORIES]]) {
  if (all.length < b) throw new Error(`tinystories-valid.txt has ${all.length} stories; the demo needs ${b}`);
  files.set(`data/${name}`, Buffer.from(all.slice(a, b).join(`\n${STORY_SEPARATOR}\n`) + `\n${STORY_SEPARATOR}\n`, 'utf8'));
}

/** An IDX file's header fields and data (big-endian dims after a 4-byte magic). */
function parseIdx(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rank = bytes[3];
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  return { magic: bytes.subarray(0, 4), dims, data: bytes.subarray(4 + 4 * rank) };
}

/** Items [a, b) of an unsigned-byte IDX file, as a new IDX file. */
function idxSlice(bytes, a, b) {
  const { magic, dims, data } = parseIdx(bytes);
  if (magic[2] !== 0x08) throw new Error('expected unsigned-byte IDX data');
  const item = dims.slice(1).reduce((x, y) => x * y, 1);
  const header = Buffer.alloc(4 + 4 * dims.length);
  Buffer.from(magic).copy(header, 0);
  header.writeUInt32BE(b - a, 4);
  dims.slice(1).forEach((d, i) => header.writeUInt32BE(d, 8 + 4 * i));
  return Buffer.concat([header, Buffer.from(data.subarray(a * item, b * item))]);
}

for (const kind of ['images-idx3', 'labels-idx1']) {
  const raw = gunzipSync(readFileSync(join(shared, `mnist/t10k-${kind}-ubyte.gz`)));
  for (const [name, [a, b]] of [['calib', CALIB_DIGITS], ['eval', EVAL_DIGITS]]) {
    // level 9 and no header timestamp: the same bytes on every run.
    files.set(`data/mnist-${name}-${kind}-ubyte.gz`, gzipSync(idxSlice(raw, a, b), { level: 9 }));
  }
}

files.set('models/mnist-cnn.onnx', readFileSync(join(shared, 'onnx/mnist-cnn.onnx')));
for (const f of LLAMA_FILES) files.set(`models/tinystories-llama/${f}`, readFileSync(join(shared, 'tinystories-llama', f)));

let differ = 0;
for (const [path, bytes] of files) {
  const target = join(demo, path);
  if (check) {
    if (!existsSync(target) || !readFileSync(target).equals(bytes)) {
      console.error(`differs: demo/${path}`);
      differ++;
    }
    continue;
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, bytes);
  console.error(`wrote demo/${path} (${bytes.length} bytes)`);
}
if (check) {
  console.error(differ === 0 ? `demo/: all ${files.size} files as made from ${shared}` : `demo/: ${differ} of ${files.size} files differ`);
  process.exit(differ === 0 ? 0 : 1);
}
