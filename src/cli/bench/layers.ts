// `iobs bench --suite layers`: every pruning method on one synthetic but realistic layer, by
// default 4096 x 4096 (a Llama-7B attention projection), at 50% unstructured and 2:4. The
// calibration inputs imitate a transformer's hidden states: per-feature scales with a few outlier
// channels, a low-rank shared component and correlation between neighbouring features; H = XᵀX is
// accumulated batch by batch (X is never held whole). OBC costs O(rows·k·cols²), days at full size,
// so it runs on the first --obc-rows rows and its time is extrapolated to all rows (labelled so);
// --iobs-rows does the same for I-OBS when its re-solve is too slow to run whole.
import { defaultRegistry } from '../../init.js';
import type { Linalg } from '../../linalg/linalg.js';
import type { Matrix } from '../../core/matrix.js';
import { HessianAccumulator } from '../../pruning/accumulator.js';
import { formatPattern, type Pattern } from '../../pruning/pattern.js';
import { pruneLayer } from '../../pruning/prune-layer.js';
import { makePruner } from '../../pruning/registry.js';
import { availableMethods, METHODS } from '../../pruning/registry.js';
import type { PruneMethod } from '../../pruning/types.js';
import { rng } from './util.js';
import { backendFlag, integerFlag, listFlag, parseFlags, UsageError } from '../args.js';

export const LAYERS_USAGE = `usage: iobs bench --suite layers [--json] [--shape down_proj] [--size N] [--rows R] [--samples S] [--methods a,b]
                                [--patterns p,q] [--obc-rows K] [--iobs-rows K] [--iobs-options JSON]
                                [--backend NAME] [--verbose]

  --shape down_proj the Llama-7B down_proj shape: --rows 4096 --size 11008 (H 11008 x 11008)
  --size N          layer inputs (columns of W, size of H); default 4096 (Llama-7B attention)
  --rows R          layer outputs (rows of W); default N
  --samples S       calibration rows of X behind H = XᵀX; default 2N (at least N)
  --methods a,b     ${METHODS.join(', ')} (default: every method in this build)
  --patterns p,q    default 0.5,2:4 (unstructured 50% and 2:4; '0.7', '0.5/row', '4:8' also work)
  --obc-rows K      OBC runs on the first K rows and its time is extrapolated to R rows (default 16;
                    all rows when R <= K)
  --iobs-rows K     the same for I-OBS (default: all rows)
  --iobs-options J  options for iobs() as JSON, e.g. '{"iterations":1,"maxSolverIterations":5}'
  --json            last stdout line: {"suite":"layers","rows","cols","samples","backend","hessianSeconds","results":[...]}
  --verbose         on an error, print the stack too
`;

/** One timed run. */
export interface LayerBenchRow {
  method: PruneMethod;
  pattern: string;
  rows: number;
  cols: number;
  /** Seconds for the whole layer (extrapolated when `measuredRows` < `rows`). */
  seconds: number;
  /** Rows the method actually ran on. */
  measuredRows: number;
  /** Seconds measured on `measuredRows` rows. */
  measuredSeconds: number;
  /** True when `seconds` is measuredSeconds · rows / measuredRows, not a measurement. */
  extrapolated: boolean;
  /**
   * The most backend bytes allocated at once during the method's run (la.peakBytes(): its inputs W
   * and the accumulator's H, its temporaries and kernel workspace) on the rows that ran.
   */
  peakBytes: number;
  /** Relative error tr(ΔHΔᵀ)/tr(WHWᵀ) on the rows that ran. */
  relError: number;
  dampUsed: number | null;
  sparsity: number;
}

export interface LayersOptions {
  json: boolean;
  cols: number;
  rows: number;
  samples: number;
  methods: PruneMethod[];
  patterns: Pattern[];
  /** Methods that run on their first K rows only, their time extrapolated to all rows (--obc-rows, --iobs-rows). */
  subsetRows: Partial<Record<PruneMethod, number>>;
  backend?: string;
  /** Options for iobs() (--iobs-options JSON), e.g. to cap its work where only its memory is measured. */
  iobsOptions?: Record<string, unknown>;
}

function parsePatternFlag(text: string): Pattern {
  const nm = /^(\d+):(\d+)$/.exec(text);
  if (nm && Number(nm[1]) >= 1 && Number(nm[1]) < Number(nm[2])) return { kind: 'nm', n: Number(nm[1]), m: Number(nm[2]) };
  const s = /^(0?\.\d+)(\/row)?$/.exec(text);
  if (s && Number(s[1]) > 0 && Number(s[1]) < 1) return { kind: s[2] ? 'per-row' : 'unstructured', sparsity: Number(s[1]) };
  throw new UsageError(`--patterns: ${JSON.stringify(text)} is not a pattern (expected N:M with N < M, a sparsity such as 0.5, or 0.5/row)`);
}

/** Reads the flags of `iobs bench --suite layers` (without --suite). */
export function parseLayersArgs(args: string[]): LayersOptions | 'help' {
  const values = parseFlags(args, {
    json: { type: 'boolean', default: false },
    shape: { type: 'string' },
    size: { type: 'string' },
    rows: { type: 'string' },
    samples: { type: 'string' },
    methods: { type: 'string' },
    patterns: { type: 'string' },
    'obc-rows': { type: 'string' },
    'iobs-rows': { type: 'string' },
    'iobs-options': { type: 'string' },
    backend: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  if (values.shape !== undefined && values.shape !== 'down_proj') throw new UsageError(`--shape ${JSON.stringify(values.shape)}: expected down_proj`);
  const preset = values.shape === 'down_proj' ? { rows: 4096, cols: 11008 } : null;
  if (preset && (values.size !== undefined || values.rows !== undefined)) throw new UsageError('--shape down_proj sets --rows and --size; give one or the other');
  const cols = integerFlag('--size', values.size, preset?.cols ?? 4096, 1, 65536);
  const rows = integerFlag('--rows', values.rows, preset?.rows ?? cols, 1, 65536);
  const samples = integerFlag('--samples', values.samples, 2 * cols, 1, 1 << 24);
  if (samples < cols) throw new UsageError(`--samples ${samples}: expected at least --size (${cols}) rows, so that H = XᵀX has full rank`);
  const available = availableMethods();
  const methods = (values.methods === undefined ? available : listFlag('--methods', values.methods, METHODS, 'method')) as PruneMethod[];
  for (const m of methods) {
    if (!available.includes(m)) throw new UsageError(`--methods: method ${JSON.stringify(m)} is not in this build (available: ${available.join(', ')})`);
  }
  const patterns = (values.patterns ?? '0.5,2:4').split(',').map((s) => parsePatternFlag(s.trim()));
  for (const p of patterns) {
    if (p.kind === 'nm' && cols % p.m !== 0) throw new UsageError(`--patterns ${formatPattern(p)}: --size ${cols} is not a multiple of ${p.m}`);
  }
  backendFlag(values.backend, defaultRegistry().names());
  let iobsOptions: Record<string, unknown> | undefined;
  if (values['iobs-options'] !== undefined) {
    try {
      iobsOptions = JSON.parse(values['iobs-options']);
    } catch {
      throw new UsageError(`--iobs-options ${JSON.stringify(values['iobs-options'])}: expected a JSON object such as '{"iterations":1}'`);
    }
    if (iobsOptions === null || typeof iobsOptions !== 'object' || Array.isArray(iobsOptions)) throw new UsageError(`--iobs-options ${JSON.stringify(values['iobs-options'])}: expected a JSON object such as '{"iterations":1}'`);
    try {
      makePruner('iobs', iobsOptions);
    } catch (e) {
      throw new UsageError(`--iobs-options ${JSON.stringify(values['iobs-options'])}: ${(e as Error).message}`);
    }
  }
  return {
    iobsOptions,
    json: values.json, cols, rows, samples, methods, patterns, backend: values.backend,
    subsetRows: { obc: integerFlag('--obc-rows', values['obc-rows'], 16, 1, 65536), iobs: integerFlag('--iobs-rows', values['iobs-rows'], rows, 1, 65536) },
  };
}

/** A standard normal sample (Box–Muller) from a uniform generator. */
function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(rand(), 1e-300), v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Rank of the shared component, correlation of neighbouring features, share of outlier channels. */
const LATENT = 16, NEIGHBOUR = 0.6, OUTLIERS = 0.005;

/**
 * Accumulates H = XᵀX of `samples` synthetic hidden-state rows of width `cols` (batches of 256):
 * x_j = s_j · (a·e_{j−1} + √(1−a²)·g_j + (F z)_j), with per-feature scales s_j = exp(0.5·N(0,1))
 * (×20 on 0.5% outlier channels), neighbour correlation a = 0.6, and a rank-16 shared part F z.
 */
export async function syntheticHessian(la: Linalg, cols: number, samples: number, seed: number): Promise<HessianAccumulator> {
  const rand = rng(seed), g = gaussian(rand);
  const scale = new Float64Array(cols);
  for (let j = 0; j < cols; j++) scale[j] = Math.exp(0.5 * g()) * (rand() < OUTLIERS ? 20 : 1);
  const F = new Float64Array(cols * LATENT);
  for (let i = 0; i < F.length; i++) F[i] = g() * 0.5 / Math.sqrt(LATENT);
  const acc = new HessianAccumulator(la, cols);
  const batch = 256, X = new Float32Array(batch * cols), z = new Float64Array(LATENT);
  const b = Math.sqrt(1 - NEIGHBOUR * NEIGHBOUR);
  try {
    for (let done = 0; done < samples; done += batch) {
      const n = Math.min(batch, samples - done);
      for (let r = 0; r < n; r++) {
        for (let k = 0; k < LATENT; k++) z[k] = g();
        let e = g();
        for (let j = 0; j < cols; j++) {
          e = NEIGHBOUR * e + b * g();
          let shared = 0;
          for (let k = 0; k < LATENT; k++) shared += F[j * LATENT + k] * z[k];
          X[r * cols + j] = scale[j] * (e + shared);
        }
      }
      await acc.addBatch({ data: X.subarray(0, n * cols), rows: n, cols });
    }
    return acc;
  } catch (err) {
    acc.free();
    throw err;
  }
}

/** A rows x cols weight with N(0, 1/cols) entries and per-row scales exp(0.3·N(0,1)). */
export function syntheticWeight(la: Linalg, rows: number, cols: number, seed: number): Matrix<'float32'> {
  const g = gaussian(rng(seed));
  const d = new Float32Array(rows * cols);
  const std = 1 / Math.sqrt(cols);
  for (let i = 0; i < rows; i++) {
    const s = std * Math.exp(0.3 * g());
    for (let j = 0; j < cols; j++) d[i * cols + j] = s * g();
  }
  return la.fromArray(d, rows, cols, 'float32');
}

/**
 * Runs the suite: builds H and W, then times pruneLayer for each method x pattern (one run each:
 * at this size a run takes seconds to hours, and the first is the one a user waits for).
 */
export async function runLayersBench(la: Linalg, o: LayersOptions, log: (line: string) => void): Promise<{ hessianSeconds: number; results: LayerBenchRow[] }> {
  const t0 = performance.now();
  // H as a float32 matrix, the accumulator freed: its float64 sum and scratch (2.5·cols² floats
  // more) would otherwise stay resident beside every method. pruneLayer checks a caller's H once,
  // outside the pruner's time.
  const acc = await syntheticHessian(la, o.cols, o.samples, 1234);
  let H: Matrix<'float32'>;
  try {
    H = await acc.hessian('float32');
  } finally {
    acc.free();
  }
  const hessianSeconds = (performance.now() - t0) / 1000;
  log(`iobs bench: layers: H = XᵀX of ${o.samples} x ${o.cols} synthetic inputs in ${hessianSeconds.toPrecision(3)} s`);
  const W = syntheticWeight(la, o.rows, o.cols, 99);
  const results: LayerBenchRow[] = [];
  try {
    for (const pattern of o.patterns) {
      for (const method of o.methods) {
        const subset = Math.min(o.subsetRows[method] ?? o.rows, o.rows);
        const Wrun = subset === o.rows ? W : await la.copy(W.view(0, 0, subset, o.cols));
        log(`iobs bench: layers: ${method} ${formatPattern(pattern)} on ${subset} x ${o.cols}${subset < o.rows ? ` (of ${o.rows} rows; time extrapolated)` : ''} …`);
        try {
          let last = performance.now();
          const onProgress = (fraction: number, label: string) => {
            if (performance.now() - last < 10_000) return;
            last = performance.now();
            log(`  ${method} ${formatPattern(pattern)}: ${(100 * fraction).toFixed(0)}% (${label})`);
          };
          la.resetPeak();
          const r = await pruneLayer(la, Wrun, H, { pruner: makePruner(method, method === 'iobs' ? o.iobsOptions : undefined), pattern, onProgress });
          const peakBytes = la.peakBytes();
          r.weight.free();
          r.mask.free();
          const extrapolated = subset < o.rows;
          const row: LayerBenchRow = {
            method, pattern: formatPattern(pattern), rows: o.rows, cols: o.cols,
            seconds: extrapolated ? r.seconds * (o.rows / subset) : r.seconds,
            measuredRows: subset, measuredSeconds: r.seconds, extrapolated, peakBytes,
            relError: r.relError, dampUsed: r.dampUsed, sparsity: r.sparsity,
          };
          results.push(row);
          log(`  ${r.seconds.toPrecision(3)} s, relError ${r.relError.toPrecision(4)}, peak ${(peakBytes / 2 ** 20).toFixed(0)} MiB`);
        } finally {
          if (Wrun !== W) Wrun.free();
        }
      }
    }
  } finally {
    W.free();
    H.free();
  }
  return { hessianSeconds, results };
}

/** The results as a text table. */
export function layersTable(results: LayerBenchRow[]): string {
  const head = ['method', 'pattern', 'layer', 'seconds', 'rel. error', 'peak MiB', 'λ used', 'note'];
  const body = results.map((r) => [
    r.method, r.pattern, `${r.rows}x${r.cols}`, r.seconds >= 1e-3 ? r.seconds.toPrecision(3) : r.seconds.toExponential(2),
    r.relError.toPrecision(4), (r.peakBytes / 2 ** 20).toFixed(0), r.dampUsed === null ? '–' : String(r.dampUsed),
    r.extrapolated ? `extrapolated: ${r.measuredSeconds.toPrecision(3)} s on ${r.measuredRows} rows x ${r.rows / r.measuredRows}` : '',
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 && i <= 5 ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}
