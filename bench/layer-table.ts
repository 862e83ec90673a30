// The docs table of layer pruning on real layers: the two Gemm layers of the shipped MNIST CNN
// (shared/data/onnx/mnist-cnn.onnx), calibrated on MNIST test digits run through onnxruntime-node,
// pruned with every available method x pattern; writes docs/pruning-mnist.md, and each layer's
// W.npy / H.npy for `iobs prune-layer`.
//
//   node scripts/run-ts.mjs bench/layer-table.ts [--calibration 5000] [--methods a,b] [--out docs/pruning-mnist.md]
//                                                [--layers-dir build/mnist-layers] [--data DIR] [--no-accuracy]
//
// Calibration uses test digits 0 … calibration−1; held-out top-1 accuracy uses the rest (so the
// pruned weights never saw them). The preprocessing is checked first: the unmodified model must
// score 97.35% on the first 2,000 digits (shared/data/README.md), else nothing is written.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { probeFeatures } from '../src/backends/wasm/loader.js';
import { init } from '../src/init.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { readIdxFile, writeNpyFile } from '../src/io/files.js';
import type { Linalg } from '../src/linalg/linalg.js';
import { mnistInputs, mnistLabels } from '../src/models/mnist.js';
import { captureLayerHessians, onnxTop1, type OnnxRuntime, type OnnxSamples } from '../src/models/onnx/capture.js';
import { decodeOnnxModel, encodeOnnxModel, layerWeight, onnxLinearLayers, withLayerWeight, type OnnxLinearLayer } from '../src/models/onnx/reader.js';
import { formatPattern, type Pattern } from '../src/pruning/pattern.js';
import { pruneLayer } from '../src/pruning/prune-layer.js';
import { availableMethods, makePruner, METHODS } from '../src/pruning/registry.js';
import type { PruneMethod } from '../src/pruning/types.js';

const PATTERNS: Pattern[] = [
  { kind: 'unstructured', sparsity: 0.5 },
  { kind: 'unstructured', sparsity: 0.7 },
  { kind: 'nm', n: 2, m: 4 },
];
const BASELINE_COUNT = 2000;
const BASELINE_TOP1 = 0.9735;
const COMMAND = 'node scripts/run-ts.mjs bench/layer-table.ts';

interface Row {
  layer: string;
  method: PruneMethod;
  pattern: string;
  relError: number;
  seconds: number;
  dampUsed: number | null;
  sparsity: number;
  top1: number | null;
}

const log = (line: string) => process.stderr.write(line + '\n');

/** A pruner progress callback that logs at most every 10 seconds (the slow methods take minutes). */
function progress(what: string): (fraction: number, label: string) => void {
  let last = performance.now();
  return (fraction, label) => {
    const now = performance.now();
    if (now - last < 10_000) return;
    last = now;
    log(`    ${what}: ${(100 * fraction).toFixed(0)}% (${label})`);
  };
}

/** shared/data: the folder given, or the first shared/data/README.md above the project root. */
function sharedData(given?: string): string {
  if (given) return resolve(given);
  for (let dir = dirname(process.cwd()); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'shared', 'data', 'README.md'))) return join(dir, 'shared', 'data');
    if (dirname(dir) === dir) throw new Error('shared/data not found above the project root; pass --data DIR');
  }
}

function options() {
  const { values } = parseArgs({
    strict: true,
    options: {
      calibration: { type: 'string', default: '5000' },
      methods: { type: 'string' },
      out: { type: 'string', default: 'docs/pruning-mnist.md' },
      'layers-dir': { type: 'string', default: 'build/mnist-layers' },
      data: { type: 'string' },
      'no-accuracy': { type: 'boolean', default: false },
      threads: { type: 'string', default: '1' },
    },
  });
  const calibration = Number(values.calibration);
  if (!Number.isInteger(calibration) || calibration < 1 || calibration > 9999) throw new Error(`--calibration ${JSON.stringify(values.calibration)}: expected an integer in 1..9999`);
  const available = availableMethods();
  const methods = (values.methods ?? available.join(',')).split(',').map((s) => s.trim()) as PruneMethod[];
  for (const m of methods) {
    if (!available.includes(m)) throw new Error(`--methods: ${JSON.stringify(m)} is not available in this build (available: ${available.join(', ')}; known: ${METHODS.join(', ')})`);
  }
  const threads = Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads ${JSON.stringify(values.threads)}: expected a positive integer`);
  return { calibration, methods, out: values.out, layersDir: values['layers-dir'], data: sharedData(values.data), accuracy: !values['no-accuracy'], threads };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const sci = (x: number) => (x === 0 ? '0' : x >= 0.01 ? x.toFixed(4) : x.toExponential(3));
const secs = (s: number) => (s >= 10 ? s.toFixed(1) : s >= 0.01 ? s.toFixed(3) : s.toExponential(2));

/** Short name of a layer: the weight's name without '.weight'. */
const layerName = (l: OnnxLinearLayer) => l.weight.replace(/\.weight$/, '');

async function main(): Promise<void> {
  const o = options();
  if (!probeFeatures().relaxedSimd) setFlagsFromString('--experimental-wasm-relaxed-simd');
  const la: Linalg = await init({ wasmPaths: pathToFileURL(resolve('dist')).href + '/', warn: log });
  const modelPath = join(o.data, 'onnx', 'mnist-cnn.onnx');
  const bytes = new Uint8Array(await readFile(modelPath));
  const model = decodeOnnxModel(bytes, modelPath);
  const images = await readIdxFile(join(o.data, 'mnist', 't10k-images-idx3-ubyte.gz'));
  const labels = await readIdxFile(join(o.data, 'mnist', 't10k-labels-idx1-ubyte.gz'));
  const total = images.shape[0];
  const samples = (start: number, count: number): OnnxSamples => ({ input: 'input', data: mnistInputs(images, start, count), sampleShape: [1, 28, 28] });
  // onnxruntime-node (the native runtime, faster here than the library's default onnxruntime-web).
  const ort = createRequire(import.meta.url)('onnxruntime-node') as OnnxRuntime;
  const run = { threads: o.threads, batchSize: 500, ort };

  // 1. The preprocessing check.
  const base = await onnxTop1(bytes, samples(0, BASELINE_COUNT), mnistLabels(labels, 0, BASELINE_COUNT), run);
  log(`layer-table: unmodified model, first ${BASELINE_COUNT} digits: top-1 ${pct(base)} (expected ${pct(BASELINE_TOP1)})`);
  if (Math.abs(base - BASELINE_TOP1) > 1e-9) throw new Error(`the unmodified model scores ${pct(base)} on the first ${BASELINE_COUNT} digits, not ${pct(BASELINE_TOP1)}: the preprocessing is wrong`);

  const held = { start: o.calibration, count: total - o.calibration };
  const heldSamples = samples(held.start, held.count), heldLabels = mnistLabels(labels, held.start, held.count);
  const denseTop1 = o.accuracy ? await onnxTop1(bytes, heldSamples, heldLabels, run) : null;
  if (denseTop1 !== null) log(`layer-table: unmodified model, held-out digits ${held.start}–${total - 1}: top-1 ${pct(denseTop1)}`);

  // 2. Capture H = Σ XᵀX of each Gemm's input on the calibration digits; write W.npy / H.npy.
  const t0 = performance.now();
  const stats = await captureLayerHessians(la, model, samples(0, o.calibration), { ...run, layers: onnxLinearLayers(model), onProgress: (d, n) => log(`  capture ${d}/${n}`) });
  const captureSeconds = (performance.now() - t0) / 1000;
  const rows: Row[] = [];
  const deadInputs = new Map<string, number>();
  for (const { layer, stats: acc } of stats) {
    const name = layerName(layer);
    const Wdata = layerWeight(model, layer);
    const H64 = await acc.hessian('float64');
    const diag = la.matrix(1, layer.cols, 'float64');
    await la.diagonal(H64, diag);
    const dead = (await la.read(diag)).filter((v) => v === 0).length;
    diag.free();
    deadInputs.set(name, dead);
    const dir = join(o.layersDir, name);
    await mkdir(dir, { recursive: true });
    await writeNpyFile(join(dir, 'W.npy'), Wdata, [layer.rows, layer.cols]);
    await writeNpyFile(join(dir, 'H.npy'), await la.read(H64), [layer.cols, layer.cols]);
    H64.free();
    log(`layer-table: ${name} ${layer.rows}x${layer.cols}, H from ${acc.samples} rows → ${dir}/{W,H}.npy`);

    // 3. Prune with every method x pattern; float32 W and H, as a user of the library would.
    const W = la.fromArray(Wdata, layer.rows, layer.cols, 'float32');
    const H = await acc.hessian('float32');
    try {
      for (const pattern of PATTERNS) {
        for (const method of o.methods) {
          log(`  ${name} ${method} ${formatPattern(pattern)} …`);
          const r = await pruneLayer(la, W, H, { pruner: makePruner(method), pattern, onProgress: progress(`${name} ${method} ${formatPattern(pattern)}`) });
          for (const w of r.warnings) log(`    warning: ${w}`);
          const pruned = await la.read(r.weight);
          r.weight.free();
          r.mask.free();
          const top1 = o.accuracy ? await onnxTop1(encodeOnnxModel(withLayerWeight(model, layer, pruned)), heldSamples, heldLabels, run) : null;
          rows.push({ layer: name, method, pattern: formatPattern(pattern), relError: r.relError, seconds: r.seconds, dampUsed: r.dampUsed, sparsity: r.sparsity, top1 });
          log(`    relError ${sci(r.relError)}  ${secs(r.seconds)} s  λ ${r.dampUsed ?? '–'}  sparsity ${pct(r.sparsity)}${top1 === null ? '' : `  top-1 ${pct(top1)}`}`);
        }
      }
    } finally {
      W.free();
      H.free();
      acc.free();
    }
  }

  const doc = render(rows, {
    calibration: o.calibration, held, denseTop1, base, captureSeconds, backend: la.backendName, methods: o.methods,
    layers: stats.map((s) => s.layer), deadInputs,
  });
  await mkdir(dirname(resolve(o.out)), { recursive: true });
  await writeFileAtomic(o.out, new TextEncoder().encode(doc));
  log(`layer-table: wrote ${o.out}`);
}

interface Context {
  calibration: number;
  held: { start: number; count: number };
  denseTop1: number | null;
  base: number;
  captureSeconds: number;
  backend: string;
  methods: PruneMethod[];
  layers: OnnxLinearLayer[];
  /** Inputs never active on the calibration digits (H_jj = 0), per layer. */
  deadInputs: Map<string, number>;
}

function render(rows: Row[], c: Context): string {
  const patterns = PATTERNS.map(formatPattern);
  const find = (layer: string, method: string, pattern: string) => rows.find((r) => r.layer === layer && r.method === method && r.pattern === pattern);
  const cpu = cpus();
  const out: string[] = [];
  out.push('# Layer pruning on real layers: the MNIST CNN');
  out.push('');
  out.push('Relative reconstruction error tr(ΔHΔᵀ)/tr(WHWᵀ) (Δ = W − Ŵ, H = XᵀX undamped) of the two Gemm layers of');
  out.push('`shared/data/onnx/mnist-cnn.onnx` — fc1 (128×3136, after the convolutions) and fc2 (10×128, the classifier) —');
  out.push('pruned one at a time with every method × pattern, and the held-out top-1 accuracy of the whole model with');
  out.push('that one layer pruned (the other layers dense). 50% and 70% are unstructured (each method decides where the');
  out.push('zeros fall: Wanda per row as published, SparseGPT per block of 128 columns); 2:4 keeps 2 of every 4 inputs.');
  out.push('');
  out.push(`- Calibration: MNIST test digits 0–${c.calibration - 1} (${c.calibration}), normalised (x/255 − 0.1307)/0.3081,`);
  out.push(`  run through onnxruntime-node; H of each Gemm's input accumulated in float64 (capture: ${secs(c.captureSeconds)} s).`);
  out.push(`- Check of the preprocessing: the unmodified model scores ${pct(c.base)} on the first ${BASELINE_COUNT} digits (expected 97.35%).`);
  if (c.denseTop1 !== null) out.push(`- Held-out: digits ${c.held.start}–${c.held.start + c.held.count - 1} (${c.held.count}); the unmodified model scores **${pct(c.denseTop1)}** there.`);
  out.push('- Pruning: `pruneLayer` with float32 W and H and each method\'s defaults (damping λ = 0.01·mean(diag H), ×10 on a');
  out.push('  failed factorisation; SparseGPT blocks of 128; I-OBS 3 iterations of η = 0.5 from its default one-shot start);');
  out.push('  seconds are the pruner\'s own wall time on this machine, one run each.');
  out.push(`- Methods in this run: ${c.methods.join(', ')}${c.methods.length < METHODS.length ? ` (not yet in this build: ${METHODS.filter((m) => !c.methods.includes(m)).join(', ')})` : ''}.`);
  out.push(`- Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version},`);
  out.push(`  backend ${c.backend}, one thread; ${new Date().toISOString().slice(0, 10)}.`);
  out.push('');
  out.push('Regenerate (writes this file and build/mnist-layers/{fc1,fc2}/{W,H}.npy for `iobs prune-layer`):');
  out.push('');
  out.push('```sh');
  out.push(COMMAND);
  out.push('```');
  for (const layer of c.layers) {
    const name = layerName(layer);
    out.push('');
    out.push(`## ${name} (${layer.rows}×${layer.cols})`);
    out.push('');
    out.push(`${c.deadInputs.get(name)} of its ${layer.cols} inputs are never active on the calibration digits (H_jj = 0: pruning those weights costs nothing).`);
    out.push('');
    out.push(`| method | ${patterns.map((p) => `${p} rel. error`).join(' | ')} |`);
    out.push(`|---|${patterns.map(() => '---:').join('|')}|`);
    for (const m of c.methods) {
      out.push(`| ${m} | ${patterns.map((p) => { const r = find(name, m, p); return r ? sci(r.relError) : '–'; }).join(' | ')} |`);
    }
    if (c.methods.includes('iobs') && c.methods.includes('sparsegpt')) {
      const ratios = patterns.map((p) => {
        const a = find(name, 'iobs', p), b = find(name, 'sparsegpt', p);
        if (!a || !b) return '–';
        const q = b.relError > 0 ? a.relError / b.relError : NaN;
        return `${q.toFixed(3)}× ${q <= 0.6 ? '(≤ 0.6 ✓)' : '(> 0.6 ✗)'}`;
      });
      out.push(`| **I-OBS / SparseGPT** | ${ratios.join(' | ')} |`);
    }
    out.push('');
    out.push(`| method | pattern | rel. error | seconds | λ used | sparsity | held-out top-1 |`);
    out.push('|---|---|---:|---:|---:|---:|---:|');
    for (const p of patterns) {
      for (const m of c.methods) {
        const r = find(name, m, p);
        if (!r) continue;
        out.push(`| ${m} | ${p} | ${sci(r.relError)} | ${secs(r.seconds)} | ${r.dampUsed ?? '–'} | ${pct(r.sparsity)} | ${r.top1 === null ? '–' : pct(r.top1)} |`);
      }
    }
  }
  out.push('');
  return out.join('\n');
}

main().then(
  () => undefined,
  (err) => {
    log(`layer-table: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
