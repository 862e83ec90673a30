// The paper's Figure 1 (Wu et al., NeurIPS 2024), rerun: mean relative error ‖θ_t − θ*‖/‖θ*‖
// per iteration of k-IHT, Top-k I-OBS and I-OBS on noiseless least-squares recovery problems
// y = Aθ*. Pure and platform neutral: the caller passes the backend (a Linalg) and, for the
// MNIST prior, the digit pixels; nothing here touches files, clocks aside.
//
// Settings (ALGORITHMS.md §1):
// - gaussian: A_ij ~ N(0, 1/n), n = 256, d = 128, θ* with k* = 16 nonzeros N(0, 1), k = 64;
// - mnist: θ* a digit (pixels / 255), d = 784, n = 2d, A Gaussian N(0, 1/n), k = 2·nnz(θ*);
// - underdetermined: n = 96 < d = 128, k* = 8, k = 16. H = AᵀA has rank 96, so the Newton step
//   needs damping H + λ·mean(diag H)·I; several λ show what it does.
import { checkInt, rangeError, typeError } from '../core/errors.js';
import type { Linalg } from '../linalg/linalg.js';
import { leastSquares, type RecoveryProblem } from '../recovery/problem.js';
import { recover, type RecoveryMethod } from '../recovery/recover.js';
import type { Figure, Panel, Series } from '../figures/svg.js';
import { SeededRandom } from './random.js';

/** One recovery instance y = Aθ* (A row-major n x d). */
export interface Instance {
  n: number;
  d: number;
  /** The sparsity budget of the solvers. */
  k: number;
  A: Float64Array;
  y: Float64Array;
  theta: Float64Array;
}

/** One solver configuration: a curve of the figure. */
export interface Variant {
  label: string;
  method: RecoveryMethod;
  /** Iterations to run (the curve has steps + 1 points, t = 0 … steps). */
  steps: number;
  /** Relative damping λ of H + λ·mean(diag H)·I; default: the library's (only when H is singular). */
  damp?: number;
  selection?: 'greedy' | 'oneshot';
  /** 'paper': the I-OBS authors' gradient scaled by 2/n (see RecoverOptions.gradientScale); default exact. */
  gradientScale?: 'exact' | 'paper';
}

/** A setting: its instances (trials) and the curves to draw. */
export interface Setting {
  id: 'gaussian' | 'mnist' | 'underdetermined';
  title: string;
  /** One line for the caption. */
  description: string;
  instances: Instance[];
  variants: Variant[];
}

/** What one variant did over all trials of a setting. */
export interface Curve {
  label: string;
  method: RecoveryMethod;
  steps: number;
  /** Mean, min and max over trials of ‖θ_t − θ*‖/‖θ*‖, t = 0 … steps. */
  mean: number[];
  min: number[];
  max: number[];
  /** Per trial: the first t with error ≤ threshold (null: never within steps). */
  firstBelow: (number | null)[];
  /** Per trial: the error after the last step. */
  final: number[];
  /** Per trial: the damping λ the solver used (null: none). */
  dampUsed: (number | null)[];
  /** Per trial: the step size η. */
  eta: number[];
  /** Per trial: the t at which θ_t = θ_{t−1} exactly (then every later iterate is the same), or null. */
  fixedPointAt: (number | null)[];
  /** Solver seconds summed over trials. */
  seconds: number;
}

/** The result of one setting. */
export interface SettingResult {
  id: Setting['id'];
  title: string;
  description: string;
  n: number;
  d: number;
  k: number[];
  trials: number;
  threshold: number;
  curves: Curve[];
}

/** Options of runFigure1. */
export interface Figure1Options {
  /** Trials of the Gaussian settings (default 20, as in the paper). */
  trials?: number;
  /** Seed of every random draw (default 1). */
  seed?: number;
  /** MNIST digits (784 pixels each, 0…255), one trial per digit; without them the MNIST setting is skipped. */
  digits?: ArrayLike<number>[];
  /** Which settings to run (default all three, MNIST only when digits are given). */
  settings?: Setting['id'][];
  /** Iteration counts; defaults in FIGURE1_STEPS. */
  steps?: Partial<typeof FIGURE1_STEPS>;
  /** The error level whose first crossing is reported (default 1e-6). */
  threshold?: number;
  /** Progress lines (for stderr). */
  progress?: (line: string) => void;
}

/**
 * Default iteration counts: enough for k-IHT's slow linear convergence to show, and for the
 * second-order methods (cheap per step except greedy I-OBS at d = 784) to reach their floor.
 */
export const FIGURE1_STEPS = {
  gaussian: 300,
  mnistKiht: 1000,
  mnistTopk: 1000,
  mnistIobs: 10,
  underdetermined: 300,
};

/** Short runs for smoke tests (--quick): every curve, far fewer iterations. */
export const FIGURE1_QUICK_STEPS: typeof FIGURE1_STEPS = {
  gaussian: 40,
  mnistKiht: 200,
  mnistTopk: 40,
  mnistIobs: 4,
  underdetermined: 40,
};

/** Damping levels (relative λ) of the underdetermined setting's Top-k I-OBS curves. */
export const UNDERDETERMINED_DAMPING = [1e-4, 1e-2, 1];

/**
 * A Gaussian instance: A_ij ~ N(0, 1/n), θ* with kStar nonzeros N(0, 1) at random places, y = Aθ*.
 *
 * @example
 * const inst = gaussianInstance(new SeededRandom(1), 256, 128, 16, 64);
 */
export function gaussianInstance(rng: SeededRandom, n: number, d: number, kStar: number, k: number): Instance {
  checkInt('gaussianInstance', 'n', n, 1);
  checkInt('gaussianInstance', 'd', d, 1);
  checkInt('gaussianInstance', 'kStar', kStar, 1, d);
  checkInt('gaussianInstance', 'k', k, 1, d);
  const A = gaussianMatrix(rng, n, d);
  const theta = new Float64Array(d);
  for (const j of rng.sample(d, kStar)) theta[j] = rng.normal();
  return { n, d, k, A, y: times(A, n, d, theta), theta };
}

/**
 * An MNIST-prior instance: θ* = pixels / 255 (d = pixels.length), A_ij ~ N(0, 1/n),
 * y = Aθ*, k = min(d, 2·nnz(θ*)).
 *
 * @example
 * const inst = mnistInstance(new SeededRandom(1), digitPixels, 2 * 784);
 */
export function mnistInstance(rng: SeededRandom, pixels: ArrayLike<number>, n: number): Instance {
  if (pixels == null || typeof pixels.length !== 'number' || pixels.length === 0) throw typeError('mnistInstance', 'pixels', pixels, 'a non-empty array of pixel values');
  checkInt('mnistInstance', 'n', n, 1);
  const d = pixels.length;
  const theta = new Float64Array(d);
  let nnz = 0;
  for (let j = 0; j < d; j++) {
    const p = pixels[j];
    if (typeof p !== 'number' || !(p >= 0 && p <= 255)) throw rangeError('mnistInstance', `pixels[${j}]`, p, 'a value in [0, 255]');
    theta[j] = p / 255;
    if (p !== 0) nnz++;
  }
  if (nnz === 0) throw rangeError('mnistInstance', 'pixels', 'an all-zero image', 'an image with at least one nonzero pixel');
  const A = gaussianMatrix(rng, n, d);
  return { n, d, k: Math.min(d, 2 * nnz), A, y: times(A, n, d, theta), theta };
}

function gaussianMatrix(rng: SeededRandom, n: number, d: number): Float64Array {
  const A = new Float64Array(n * d);
  const s = 1 / Math.sqrt(n);
  for (let i = 0; i < A.length; i++) A[i] = s * rng.normal();
  return A;
}

function times(A: Float64Array, n: number, d: number, x: Float64Array): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += A[i * d + j] * x[j];
    y[i] = s;
  }
  return y;
}

/** ‖x − θ‖ / ‖θ‖. */
export function relativeError(x: ArrayLike<number>, theta: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let j = 0; j < theta.length; j++) {
    const e = x[j] - theta[j];
    num += e * e;
    den += theta[j] * theta[j];
  }
  return Math.sqrt(num / den);
}

/** The first index t with curve[t] ≤ threshold, or null. */
export function firstBelow(curve: ArrayLike<number>, threshold: number): number | null {
  for (let t = 0; t < curve.length; t++) if (curve[t] <= threshold) return t;
  return null;
}

/** What one run of one variant on one instance gives. */
export interface Run {
  /** ‖θ_t − θ*‖/‖θ*‖ for t = 0 … steps (θ_0 = 0, so errors[0] = 1). */
  errors: Float64Array;
  dampUsed: number | null;
  eta: number;
  seconds: number;
  fixedPointAt: number | null;
}

/**
 * Runs one variant on one instance from θ_0 = 0 and records the relative error of every iterate.
 * When an iterate equals the one before it bit for bit the map has reached a fixed point, so the
 * run stops and the rest of the curve is that error (recorded in fixedPointAt).
 * @example
 * const inst = gaussianInstance(new SeededRandom(1), 256, 128, 16, 64);
 * const run = await runVariant(la, inst, { label: 'Top-k I-OBS', method: 'topk-iobs', steps: 10 });
 * run.errors[1];   // below 1e-12: one Newton step recovers θ*
 */
export async function runVariant(la: Linalg, inst: Instance, v: Variant): Promise<Run> {
  const errors = new Float64Array(v.steps + 1);
  errors[0] = relativeError(new Float64Array(inst.d), inst.theta);
  const A = la.fromArray(inst.A, inst.n, inst.d, 'float64');
  const y = la.fromArray(inst.y, inst.n, 1, 'float64');
  let last = 0;
  let prev = new Float64Array(inst.d);
  let fixedPointAt: number | null = null;
  let problem: RecoveryProblem | null = null;
  try {
    problem = await leastSquares(la, A, y, v.damp === undefined ? {} : { damp: v.damp });
    const result = await recover(la, problem, {
      k: inst.k,
      method: v.method,
      steps: v.steps,
      tol: 0,
      ...(v.selection ? { selection: v.selection } : {}),
      ...(v.gradientScale ? { gradientScale: v.gradientScale } : {}),
      onIteration: (t, x) => {
        const e = relativeError(x, inst.theta);
        if (!Number.isFinite(e)) throw rangeError('runVariant', 'variant', v.label, `a solver whose iterates stay finite (iterate ${t} is not)`);
        errors[t] = e;
        last = t;
        if (x.every((xi, j) => xi === prev[j])) {
          fixedPointAt = t;
          return false;
        }
        prev = Float64Array.from(x);
        return true;
      },
    });
    errors.fill(errors[last], last + 1);
    return { errors, dampUsed: result.dampUsed, eta: result.eta, seconds: result.seconds, fixedPointAt };
  } finally {
    problem?.free();
    A.free();
    y.free();
  }
}

/** The three settings with their instances drawn from `seed`. */
export function figure1Settings(options: Figure1Options = {}): Setting[] {
  const trials = checkInt('figure1Settings', 'trials', options.trials ?? 20, 1, 10000);
  const seed = checkInt('figure1Settings', 'seed', options.seed ?? 1, 0, 2 ** 32 - 1);
  const steps = { ...FIGURE1_STEPS, ...options.steps };
  for (const [key, value] of Object.entries(steps)) checkInt('figure1Settings', `steps.${key}`, value, 1, 1_000_000);
  const wanted = options.settings ?? ['gaussian', 'mnist', 'underdetermined'];
  const out: Setting[] = [];
  const methods = (count: number, extra: Partial<Variant> = {}): Variant[] => [
    { label: 'k-IHT', method: 'kiht', steps: count, ...extra },
    { label: 'Top-k I-OBS', method: 'topk-iobs', steps: count, ...extra },
    { label: 'I-OBS', method: 'iobs', steps: count, selection: 'greedy', ...extra },
  ];
  if (wanted.includes('gaussian')) {
    const rng = new SeededRandom(seed * 3 + 0);
    out.push({
      id: 'gaussian',
      title: 'Gaussian: n = 256, d = 128, k* = 16, k = 64',
      description: `Gaussian (the paper's): A_ij ~ N(0, 1/n), n = 256, d = 128, θ* with k* = 16 nonzeros N(0, 1), y = Aθ*, k = 64, ${trials} trials.`,
      instances: Array.from({ length: trials }, () => gaussianInstance(rng, 256, 128, 16, 64)),
      variants: methods(steps.gaussian),
    });
  }
  if (wanted.includes('mnist') && options.digits && options.digits.length > 0) {
    const rng = new SeededRandom(seed * 3 + 1);
    const instances = options.digits.map((px) => mnistInstance(rng, px, 2 * px.length));
    out.push({
      id: 'mnist',
      title: `MNIST prior: d = 784, n = 2d, k = 2·nnz(θ*)`,
      description: `MNIST prior: θ* = a test digit / 255 (${instances.length} digit${instances.length > 1 ? 's' : ''}, nnz ${instances.map((i) => i.k / 2).join(', ')}), d = 784, n = 1568, A_ij ~ N(0, 1/n), k = 2·nnz(θ*).`,
      instances,
      variants: [
        { label: 'k-IHT', method: 'kiht', steps: steps.mnistKiht },
        { label: 'Top-k I-OBS', method: 'topk-iobs', steps: steps.mnistTopk },
        { label: 'I-OBS', method: 'iobs', steps: steps.mnistIobs, selection: 'greedy' },
        { label: "k-IHT, paper's 2/n gradient", method: 'kiht', steps: steps.mnistKiht, gradientScale: 'paper' },
        { label: "Top-k I-OBS, paper's 2/n gradient", method: 'topk-iobs', steps: steps.mnistTopk, gradientScale: 'paper' },
      ],
    });
  }
  if (wanted.includes('underdetermined')) {
    const rng = new SeededRandom(seed * 3 + 2);
    const count = steps.underdetermined;
    out.push({
      id: 'underdetermined',
      title: 'Underdetermined: n = 96, d = 128, k* = 8, k = 16',
      description: `Underdetermined Gaussian: n = 96 < d = 128, k* = 8, k = 16, ${trials} trials; H = AᵀA is singular, so the second-order methods use H + λ·mean(diag H)·I.`,
      instances: Array.from({ length: trials }, () => gaussianInstance(rng, 96, 128, 8, 16)),
      variants: [
        { label: 'k-IHT', method: 'kiht', steps: count },
        ...UNDERDETERMINED_DAMPING.map((damp): Variant => ({ label: `Top-k I-OBS, λ = ${formatLambda(damp)}`, method: 'topk-iobs', steps: count, damp })),
        { label: `I-OBS, λ = ${formatLambda(1e-2)}`, method: 'iobs', steps: count, selection: 'greedy', damp: 1e-2 },
      ],
    });
  }
  return out;
}

/** λ as a short string: 1e-4, 0.01, 1. */
export function formatLambda(x: number): string {
  return x >= 1e-3 ? String(x) : x.toExponential();
}

/**
 * Runs every variant of a setting on every instance (one after another) and gathers the curves.
 * @example
 * const [setting] = figure1Settings({ trials: 2, settings: ['gaussian'], steps: { gaussian: 5 } });
 * (await runSetting(la, setting)).curves.map((c) => c.label);   // ['k-IHT', 'Top-k I-OBS', 'I-OBS']
 */
export async function runSetting(la: Linalg, setting: Setting, threshold = 1e-6, progress?: (line: string) => void): Promise<SettingResult> {
  const curves: Curve[] = [];
  for (const v of setting.variants) {
    const runs: Run[] = [];
    for (const [i, inst] of setting.instances.entries()) {
      runs.push(await runVariant(la, inst, v));
      progress?.(`${setting.id}: ${v.label}, trial ${i + 1}/${setting.instances.length}: error ${runs[i].errors[v.steps].toExponential(2)} after ${v.steps} iterations (${runs[i].seconds.toFixed(2)} s)`);
    }
    curves.push(curveOf(v, runs, threshold));
  }
  const first = setting.instances[0];
  return {
    id: setting.id,
    title: setting.title,
    description: setting.description,
    n: first.n,
    d: first.d,
    k: setting.instances.map((i) => i.k),
    trials: setting.instances.length,
    threshold,
    curves,
  };
}

/** One variant's curve from its runs: mean, min and max per iteration, and per-trial numbers. */
function curveOf(v: Variant, runs: Run[], threshold: number): Curve {
  const at = (t: number) => runs.map((r) => r.errors[t]);
  const T = v.steps + 1;
  return {
    label: v.label,
    method: v.method,
    steps: v.steps,
    mean: Array.from({ length: T }, (_, t) => at(t).reduce((a, b) => a + b, 0) / runs.length),
    min: Array.from({ length: T }, (_, t) => Math.min(...at(t))),
    max: Array.from({ length: T }, (_, t) => Math.max(...at(t))),
    firstBelow: runs.map((r) => firstBelow(r.errors, threshold)),
    final: runs.map((r) => r.errors[v.steps]),
    dampUsed: runs.map((r) => r.dampUsed),
    eta: runs.map((r) => r.eta),
    fixedPointAt: runs.map((r) => r.fixedPointAt),
    seconds: runs.reduce((a, r) => a + r.seconds, 0),
  };
}

/**
 * Reruns the paper's Figure 1 settings (see the file comment) and returns every curve.
 *
 * @example
 * const la = await init();
 * const results = await runFigure1(la, { trials: 20, seed: 1, digits: [pixels] });
 * const svg = renderFigure(figure1Figure(results));
 */
export async function runFigure1(la: Linalg, options: Figure1Options = {}): Promise<SettingResult[]> {
  const threshold = options.threshold ?? 1e-6;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1)) throw rangeError('runFigure1', 'threshold', threshold, 'a number in (0, 1)');
  const results: SettingResult[] = [];
  for (const s of figure1Settings(options)) results.push(await runSetting(la, s, threshold, options.progress));
  return results;
}

/** Floor of the log axis: errors below it (exact zeros included) are drawn at it. */
export const FIGURE1_FLOOR = 1e-16;

/**
 * The figure (for renderFigure): one panel per setting, and for MNIST a second panel with the
 * first 20 iterations, where the second-order methods do all their work. Mean over trials as a
 * line, min–max over trials as a band.
 */
export function figure1Figure(results: SettingResult[]): Figure {
  if (!Array.isArray(results) || results.length === 0) throw rangeError('figure1Figure', 'results', results, 'a non-empty array of setting results');
  const panel = (r: SettingResult, title: string, xMax?: number): Panel => ({
    title,
    xLabel: 'iteration t',
    yLabel: 'mean ‖θ_t − θ*‖ / ‖θ*‖',
    floor: FIGURE1_FLOOR,
    ...(xMax === undefined ? {} : { xMax }),
    series: r.curves.map((c): Series => {
      const x = Array.from({ length: c.steps + 1 }, (_, t) => t);
      return { label: c.label, x, y: c.mean, ...(r.trials > 1 ? { band: { lower: c.min, upper: c.max } } : {}) };
    }),
  });
  const panels: Panel[] = [];
  for (const r of results) {
    if (r.id === 'mnist') {
      panels.push(panel(r, 'MNIST prior: first 20 iterations', 20));
      panels.push(panel(r, `MNIST prior: ${Math.max(...r.curves.map((c) => c.steps)).toLocaleString('en-US')} iterations`));
    } else panels.push(panel(r, r.title));
  }
  const lines = results.map((r) => r.description);
  const caption =
    `Mean relative error ‖θ_t − θ*‖/‖θ*‖ over trials (lines) and its min–max range (bands), from θ_0 = 0, noiseless y = Aθ*. ` +
    `k-IHT: η = 1/λmax(AᵀA); Top-k I-OBS and I-OBS: full Newton step η = 1, I-OBS with the greedy OBS support. ` +
    lines.join(' ') +
    (results.some((r) => r.id === 'mnist')
      ? ` "Paper's 2/n gradient": the authors' code differentiates the mean-reduced MSE while keeping H = AᵀA, which scales every step by 2/n.`
      : '') +
    ` λ is relative: H + λ·mean(diag H)·I. Errors below ${FIGURE1_FLOOR.toExponential(0)} (exact recovery) are drawn at ${FIGURE1_FLOOR.toExponential(0)}.`;
  return { title: 'Sparse recovery: k-IHT vs Top-k I-OBS vs I-OBS (after Wu et al. 2024, Figure 1)', caption, panels, columns: 2 };
}

/** The numbers of one curve that a summary reports. */
export interface CurveSummary {
  label: string;
  method: RecoveryMethod;
  steps: number;
  /** Per trial: the first iteration with error ≤ threshold (null: not within steps). */
  firstBelow: (number | null)[];
  /** Per trial: the error after the last step. */
  final: number[];
  /** Mean and max over trials of the final error. */
  finalMean: number;
  finalMax: number;
  dampUsed: number | null;
  eta: number[];
  seconds: number;
}

/** The summary of a setting: its sizes and every curve's numbers. */
export interface SettingSummary {
  id: Setting['id'];
  n: number;
  d: number;
  k: number[];
  trials: number;
  threshold: number;
  curves: CurveSummary[];
}

/**
 * The numbers behind the figure, without the per-iteration curves (for --json and the README).
 *
 * @example
 * summarizeFigure1(await runFigure1(la, { trials: 2 }))[0].curves[1].firstBelow;   // e.g. [1, 1]
 */
export function summarizeFigure1(results: SettingResult[]): SettingSummary[] {
  return results.map((r) => ({
    id: r.id,
    n: r.n,
    d: r.d,
    k: r.k,
    trials: r.trials,
    threshold: r.threshold,
    curves: r.curves.map((c) => ({
      label: c.label,
      method: c.method,
      steps: c.steps,
      firstBelow: c.firstBelow,
      final: c.final,
      finalMean: c.final.reduce((a, b) => a + b, 0) / c.final.length,
      finalMax: Math.max(...c.final),
      dampUsed: c.dampUsed[0],
      eta: c.eta,
      seconds: c.seconds,
    })),
  }));
}
