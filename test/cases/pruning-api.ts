// The pruning API of the redesign, case by case: one damped Hessian (the PSD tolerance on both
// sides, an indefinite H refused rather than damped, a raised damping reported), calibration data
// that carries no signal refused, pruners as values with checked options, values that are not
// numbers refused, ownership (every byte back after every pruner, also after a refusal; views own
// nothing), and the float16/bfloat16 storage path. Device-neutral: values only through la.read.
import { type Case, type CaseContext, check, expectClose, type Matrix } from './harness.js';
import { Rng } from './random.js';
import { refusal } from './refusal.js';

type DT = 'float32' | 'float64';
type Lib = CaseContext['lib'];
type La = CaseContext['la'];
type Pruner = ReturnType<Lib['makePruner']>;

const PATTERNS = ['0.5', '0.5/row', '2:4'] as const;

/** One pruner of every method, with default options. */
function everyPruner(lib: Lib): Pruner[] {
  return lib.METHODS.map((m) => lib.makePruner(m));
}

/** A random n x n orthogonal matrix (modified Gram–Schmidt, twice), row-major float64. */
function orthogonal(rng: Rng, n: number): Float64Array {
  const q = Float64Array.from(rng.normals(n * n));
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < j; k++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i * n + j] * q[i * n + k];
        for (let i = 0; i < n; i++) q[i * n + j] -= d * q[i * n + k];
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += q[i * n + j] ** 2;
      s = Math.sqrt(s);
      for (let i = 0; i < n; i++) q[i * n + j] /= s;
    }
  }
  return q;
}

/** Q diag(λ) Qᵀ, exactly symmetric. */
function spectral(q: Float64Array, lambda: number[], n: number): Float64Array {
  const h = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * lambda[k] * q[j * n + k];
      h[i * n + j] = h[j * n + i] = s;
    }
  }
  return h;
}

function maxDiagonal(h: ArrayLike<number>, n: number): number {
  let m = 0;
  for (let j = 0; j < n; j++) m = Math.max(m, h[j * n + j]);
  return m;
}

/** Runs pruneLayer, reads the result and frees it (and checks what every result must satisfy). */
async function pruned(lib: Lib, la: La, W: Matrix, stats: Matrix | InstanceType<Lib['HessianAccumulator']>, pruner: Pruner, pattern: string | object, what: string) {
  const r = await lib.pruneLayer(la, W, stats as never, { pruner, pattern: pattern as never });
  const out = { weight: await la.read(r.weight), mask: await la.read(r.mask), result: r };
  check(Number.isFinite(r.relError) && r.relError >= 0, () => `${what}: relError ${r.relError}`);
  check((r.dampUsed === null) === !pruner.factorsHessian, () => `${what}: dampUsed ${r.dampUsed} for a pruner that ${pruner.factorsHessian ? 'factors' : 'does not factor'} H`);
  r.weight.free();
  r.mask.free();
  return out;
}

// ---- one damped Hessian ---------------------------------------------------------------------

const psdToleranceCase: Case = {
  name: 'pruneLayer: the PSD tolerance τ = psdTolerance(n, dtype) on both sides (λ_min = −4τ·max(diag H) refused, −τ/4 accepted), float32 and float64',
  deviceNeutral: true,
  async run({ lib, la }) {
    const n = 24, rows = 5, rng = new Rng(4101);
    const q = orthogonal(rng, n);
    const lambda = Array.from({ length: n }, (_, k) => (k === 0 ? 0 : 1 + rng.uniform()));
    const d0 = maxDiagonal(spectral(q, lambda, n), n);
    const W = rng.normals(rows * n);
    const start = la.liveBytes();
    for (const dtype of ['float32', 'float64'] as DT[]) {
      const tau = lib.psdTolerance(n, dtype);
      check(tau === 16 * n * (dtype === 'float32' ? 2 ** -24 : 2 ** -53), () => `psdTolerance(${n}, ${dtype}) = ${tau}`);
      const Wm = la.fromArray(W, rows, n, dtype);
      const withW = la.liveBytes();
      for (const [factor, accepted] of [[4, false], [0.25, true]] as const) {
        lambda[0] = -factor * tau * d0;
        const H = la.fromArray(spectral(q, lambda, n), n, n, dtype);
        const what = `${dtype} λ_min = −${factor}τ·max(diag H)`;
        for (const pruner of everyPruner(lib)) {
          if (accepted) {
            await pruned(lib, la, Wm, H, pruner, '2:4', `${what} ${pruner.method}`);
          } else {
            await refusal(lib, `${what} ${pruner.method}`, () => lib.pruneLayer(la, Wm, H, { pruner, pattern: '2:4' }), {
              type: 'ArgumentRangeError', fn: 'pruneLayer', arg: 'stats', message: /must be a positive semidefinite Hessian \(it has an eigenvalue below −τ·max\(diag H\)/,
            });
          }
        }
        // The same line in checkHessian and in dampedHessian (a caller's H), and from a pruner run directly.
        const direct = [
          () => lib.checkHessian(la, H, { fn: 'f', arg: 'H' }),
          async () => (await lib.dampedHessian(la, H, { fn: 'f', arg: 'H', damp: 0.01, factor: 'cholesky' })).free(),
          async () => {
            const r = await lib.sparseGPT().run(la, Wm, H, { kind: 'nm', n: 2, m: 4 }, { check: 'psd', onProgress: null });
            r.weight.free();
            r.mask.free();
          },
        ];
        for (const [i, f] of direct.entries()) {
          if (accepted) await f();
          else await refusal(lib, `${what} direct ${i}`, f, { type: 'ArgumentRangeError', arg: 'H', message: /positive semidefinite/ });
        }
        H.free();
        check(la.liveBytes() === withW, () => `${what}: ${la.liveBytes() - withW} bytes left`);
      }
      Wm.free();
    }
    check(la.liveBytes() === start, () => `${la.liveBytes() - start} bytes left`);
  },
};

const indefiniteCase: Case = {
  name: 'pruneLayer: an indefinite H with a positive diagonal is refused for every method, not damped up to λ = 10 with a negative relative error',
  deviceNeutral: true,
  async run({ lib, la }) {
    // [[1, 3], [3, 1]] ⊕ I₆: eigenvalue −2, every diagonal entry 1.
    const n = 8, rows = 3, h = new Float64Array(n * n);
    for (let j = 0; j < n; j++) h[j * n + j] = 1;
    h[1] = h[n] = 3;
    const W = new Rng(4102).normals(rows * n);
    const start = la.liveBytes();
    for (const dtype of ['float32', 'float64'] as DT[]) {
      const Wm = la.fromArray(W, rows, n, dtype), H = la.fromArray(h, n, n, dtype);
      for (const pruner of everyPruner(lib)) {
        for (const pattern of PATTERNS) {
          await refusal(lib, `${dtype} ${pruner.method} ${pattern}`, () => lib.pruneLayer(la, Wm, H, { pruner, pattern }), {
            type: 'ArgumentRangeError', fn: 'pruneLayer', arg: 'stats', message: /positive semidefinite Hessian \(it has an eigenvalue below/,
          });
        }
        // A pruner handed a caller's H directly (check 'psd') refuses it in its own name.
        if (pruner.factorsHessian) {
          await refusal(lib, `${dtype} ${pruner.method}.run`, () => pruner.run(la, Wm, H, { kind: 'per-row', sparsity: 0.5 }, { check: 'psd', onProgress: null }), {
            type: 'ArgumentRangeError', fn: { sparsegpt: 'sparseGPT', obc: 'obc', iobs: 'iobs' }[pruner.method as 'obc'], arg: 'H', message: /positive semidefinite/,
          });
        }
      }
      // What the trusted path (a Σ XᵀX that rounding made indefinite) does instead: damp, and say so.
      const d = await lib.dampedHessian(la, H, { fn: 'f', arg: 'H', damp: 0.01, factor: 'none', check: 'trusted' });
      check(d.dampUsed === 10 && d.warnings.length === 1, () => `trusted: dampUsed ${d.dampUsed}, warnings ${d.warnings}`);
      d.free();
      Wm.free();
      H.free();
    }
    check(la.liveBytes() === start, () => `${la.liveBytes() - start} bytes left after the refusals`);
  },
};

const raisedDampingCase: Case = {
  name: 'pruneLayer: a damping that had to be raised comes back with a warning and dampUsed above the damp asked; relError never negative',
  deviceNeutral: true,
  async run({ lib, la }) {
    // The all-ones H is PSD of rank 1 and its Cholesky pivots are exactly 0 in any order of
    // operations, so damp 0 cannot factor: λ goes to 0.01.
    const n = 8, rows = 4, rng = new Rng(4103);
    const W = rng.normals(rows * n);
    for (const dtype of ['float32', 'float64'] as DT[]) {
      const Wm = la.fromArray(W, rows, n, dtype), ones = la.fromArray(new Array(n * n).fill(1), n, n, dtype);
      for (const pattern of PATTERNS) {
        for (const pruner of [lib.sparseGPT({ damp: 0 }), lib.obc({ damp: 0 }), lib.iobs({ damp: 0 })]) {
          const what = `${dtype} ${pruner.method} ${pattern} damp 0 on the all-ones H`;
          const { result: r } = await pruned(lib, la, Wm, ones, pruner, pattern, what);
          check(r.dampUsed === 0.01, () => `${what}: dampUsed ${r.dampUsed}`);
          check(r.warnings.length >= 1 && r.warnings.every((w) => /damping raised to λ = 0\.01/.test(w)), () => `${what}: warnings ${JSON.stringify(r.warnings)}`);
        }
      }
      // A rank-deficient Σ XᵀX (3 samples of 8 inputs) with damp 0: whatever rounding decides,
      // a λ above the one asked always comes with a warning, and the error is not negative.
      const acc = new lib.HessianAccumulator(la, n, { dtype });
      await acc.addBatch({ data: rng.normals(3 * n), rows: 3, cols: n });
      for (const pruner of [lib.sparseGPT({ damp: 0 }), lib.obc({ damp: 0 }), lib.iobs({ damp: 0 })]) {
        const { result: r } = await pruned(lib, la, Wm, acc, pruner, '0.5', `${dtype} ${pruner.method} rank 3`);
        check((r.dampUsed! > 0) === (r.warnings.length > 0), () => `${dtype} ${pruner.method} rank 3: dampUsed ${r.dampUsed}, warnings ${JSON.stringify(r.warnings)}`);
      }
      acc.free();
      // relativeError itself never goes below 0, even on an H that is not PSD.
      const indefinite = la.fromArray([1, 3, 3, 1], 2, 2, dtype), w = la.fromArray([1, 1], 1, 2, dtype), x = la.fromArray([2, 0], 1, 2, dtype);
      const e = await lib.relativeError(la, w, x, indefinite);
      check(e >= 0, () => `relativeError on an indefinite H: ${e}`);
      for (const M of [Wm, ones, indefinite, w, x]) M.free();
    }
  },
};

const noSignalCase: Case = {
  name: 'pruneLayer: an all-zero Hessian, an accumulator fed zeros, and a W zero on every live input are refused naming stats, for every method',
  deviceNeutral: true,
  async run({ lib, la }) {
    const n = 8, rows = 3;
    const W = new Rng(4104).normals(rows * n);
    const start = la.liveBytes();
    for (const dtype of ['float32', 'float64'] as DT[]) {
      const Wm = la.fromArray(W, rows, n, dtype), zero = la.matrix(n, n, dtype);
      const acc = new lib.HessianAccumulator(la, n, { dtype });
      await acc.addBatch({ data: new Float64Array(5 * n), rows: 5, cols: n });
      // Only input 0 is live, and W is zero there.
      const oneLive = la.fromArray(Array.from({ length: n * n }, (_, t) => (t === 0 ? 2 : 0)), n, n, dtype);
      const deadW = la.fromArray(W.map((v, t) => (t % n === 0 ? 0 : v)), rows, n, dtype);
      const zeroW = la.matrix(rows, n, dtype);
      const goodH = la.fromArray(Array.from({ length: n * n }, (_, t) => (t % (n + 1) === 0 ? 1 : 0)), n, n, dtype);
      for (const pruner of everyPruner(lib)) {
        for (const [w, stats, what] of [[Wm, zero, 'H = 0'], [Wm, acc, 'inputs all 0'], [deadW, oneLive, 'W zero on the live input'], [zeroW, goodH, 'W = 0']] as const) {
          await refusal(lib, `${dtype} ${pruner.method} ${what}`, () => lib.pruneLayer(la, w, stats as never, { pruner, pattern: '2:4' }), {
            type: 'ArgumentRangeError', fn: 'pruneLayer', arg: 'stats', message: /calibration data on which the layer's output is not zero \(tr\(W H Wᵀ\) = 0/,
          });
        }
      }
      for (const M of [Wm, zero, acc, oneLive, deadW, zeroW, goodH]) M.free();
    }
    check(la.liveBytes() === start, () => `${la.liveBytes() - start} bytes left after the refusals`);
  },
};

// ---- pruners as values ----------------------------------------------------------------------

const prunerValuesCase: Case = {
  name: 'pruners as values: options checked where they are defined (did-you-mean, the option named), makePruner, patterns as text, options recorded',
  deviceNeutral: true,
  async run({ lib, la }) {
    const rows = 6, cols = 16, rng = new Rng(4105);
    const acc = new lib.HessianAccumulator(la, cols, { dtype: 'float64' });
    await acc.addBatch({ data: rng.normals(40 * cols), rows: 40, cols });
    const W = la.fromArray(rng.normals(rows * cols), rows, cols, 'float64');

    // Misspelled and bad options, at the factory.
    await refusal(lib, 'iteratons', () => lib.iobs({ iteratons: 3 } as never), { type: 'ArgumentRangeError', fn: 'iobs', arg: 'options.iteratons', message: /did you mean 'iterations'\?/ });
    const eta = await refusal(lib, 'eta 2', () => lib.iobs({ eta: 2 }), { type: 'ArgumentRangeError', fn: 'iobs', arg: 'options.eta', message: /options\.eta must be a number in \(0, 1\]; got 2/ });
    check((eta as unknown as { value: unknown }).value === 2, () => 'eta: value');
    await refusal(lib, 'damp "0.1"', () => lib.obc({ damp: '0.1' as never }), { type: 'ArgumentTypeError', fn: 'obc', arg: 'options.damp' });
    await refusal(lib, 'magnitude({ x })', () => lib.magnitude({ x: 1 } as never), { type: 'ArgumentRangeError', fn: 'magnitude', arg: 'options.x' });
    await refusal(lib, 'wanda(3)', () => lib.wanda(3 as never), { type: 'ArgumentTypeError', fn: 'wanda', arg: 'options' });
    await refusal(lib, 'iobs start foo', () => lib.iobs({ start: 'sparsgpt' as never }), { type: 'ArgumentRangeError', fn: 'iobs', arg: 'options.start' });
    // Options the pattern rules out, when the pattern is known.
    for (const pruner of [lib.sparseGPT({ blockSize: 6 }), lib.iobs({ start: lib.sparseGPT({ blockSize: 6 }) })]) {
      await refusal(lib, `${pruner.method} blockSize 6 at 2:4`, () => lib.pruneLayer(la, W, acc, { pruner, pattern: '2:4' }), {
        type: 'ArgumentRangeError', fn: 'sparseGPT', arg: 'options.blockSize', message: /must be a multiple of m = 4/,
      });
      await pruned(lib, la, W, acc, pruner, '0.5', `${pruner.method} blockSize 6 at 50%`);
    }
    // A Wanda start fits an unstructured pattern only where its per-row count adds up to the layer's.
    await pruned(lib, la, W, acc, lib.iobs({ start: 'wanda' }), '0.5', 'iobs from wanda at 50%');
    await refusal(lib, 'iobs from wanda at 30%', () => lib.pruneLayer(la, W, acc, { pruner: lib.iobs({ start: 'wanda' }), pattern: '0.3' }), {
      type: 'ArgumentRangeError', fn: 'iobs', arg: 'options.start', message: /it pruned 24 weights where 30% prunes 28; Wanda compares within rows.*'0\.3\/row'/,
    });
    await pruned(lib, la, W, acc, lib.iobs({ start: 'wanda' }), '0.3/row', 'iobs from wanda at 30%/row');
    // makePruner and the tables.
    await refusal(lib, 'makePruner sparsgpt', () => lib.makePruner('sparsgpt'), { type: 'ArgumentRangeError', fn: 'makePruner', arg: 'method', message: /did you mean 'sparsegpt'\?/ });
    await refusal(lib, 'makePruner 3', () => lib.makePruner(3), { type: 'ArgumentTypeError', fn: 'makePruner', arg: 'method' });
    await refusal(lib, 'makePruner wanda damp', () => lib.makePruner('wanda', { damp: 0.1 }), { type: 'ArgumentRangeError', fn: 'wanda', arg: 'options.damp' });
    const five = lib.makePruner('iobs', { iterations: 5, start: 'wanda' });
    check(five.method === 'iobs' && five.options.iterations === 5 && five.options.start === 'wanda', () => `makePruner iobs: ${JSON.stringify(five.options)}`);
    check(JSON.stringify(Object.keys(lib.PRUNERS)) === JSON.stringify(lib.METHODS) && lib.availableMethods().join() === lib.METHODS.join(), () => `PRUNERS ${Object.keys(lib.PRUNERS)}`);
    check(everyPruner(lib).map((p) => `${p.method}:${p.factorsHessian}`).join() === 'magnitude:false,wanda:false,sparsegpt:true,obc:true,iobs:true', () => 'factorsHessian');
    // Options recorded with their defaults, and echoed by pruneLayer.
    check(JSON.stringify(lib.sparseGPT().options) === JSON.stringify({ damp: 0.01, blockSize: 128 }) && JSON.stringify(lib.obc({ damp: 0.1 }).options) === '{"damp":0.1}', () => 'sparseGPT/obc options');
    const io = lib.iobs().options;
    check(io.start === 'sparsegpt' && JSON.stringify(io.startOptions) === JSON.stringify({ damp: 0.01, blockSize: 128 }) && io.iterations === 'auto' && io.maxSolverIterations === 'auto' && io.preconditioner === 'lowrank' && io.eta === 0.5 && io.damp === 0.01 && io.solver === 'auto' && io.resolveStart === true, () => `iobs options ${JSON.stringify(io)}`);
    // pruneLayer: a misspelled key suggests; patterns as text are the patterns they name.
    await refusal(lib, 'patern', () => lib.pruneLayer(la, W, acc, { pruner: lib.wanda(), patern: '2:4' } as never), { type: 'ArgumentRangeError', fn: 'pruneLayer', arg: 'options.patern', message: /did you mean 'pattern'\?/ });
    await refusal(lib, "pattern '2-4'", () => lib.pruneLayer(la, W, acc, { pruner: lib.wanda(), pattern: '2-4' }), { type: 'ArgumentRangeError', fn: 'pruneLayer', arg: 'options.pattern' });
    const objects = { '0.5': { kind: 'unstructured', sparsity: 0.5 }, '0.5/row': { kind: 'per-row', sparsity: 0.5 }, '2:4': { kind: 'nm', n: 2, m: 4 } } as const;
    for (const pruner of everyPruner(lib)) {
      for (const text of PATTERNS) {
        const progress: number[] = [];
        const r = await lib.pruneLayer(la, W, acc, { pruner, pattern: text, onProgress: (f) => progress.push(f) });
        check(JSON.stringify(r.pattern) === JSON.stringify(objects[text]) && r.method === pruner.method && r.options === pruner.options, () => `${pruner.method} '${text}': pattern ${JSON.stringify(r.pattern)}, options ${JSON.stringify(r.options)}`);
        check(progress.length > 0 && progress.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= progress[i - 1])) && progress[progress.length - 1] === 1, () => `${pruner.method} '${text}': progress ${progress}`);
        // The same pruner value again, and with the pattern as an object: the same result.
        const again = await pruned(lib, la, W, acc, pruner, objects[text], `${pruner.method} ${text} again`);
        check((await la.read(r.mask)).join() === again.mask.join(), () => `${pruner.method} '${text}': masks differ between runs`);
        expectClose(`${pruner.method} '${text}' again`, await la.read(r.weight), again.weight, 0);
        check(r.relError === again.result.relError, () => `${pruner.method} '${text}': relError ${r.relError} then ${again.result.relError}`);
        r.weight.free();
        r.mask.free();
      }
    }
    // iobs({ start: 'obc' }) runs OBC as its start: the start step is OBC's result.
    const byName = await lib.pruneLayer(la, W, acc, { pruner: lib.iobs({ start: 'obc', iterations: 2 }), pattern: '0.5' });
    const obcAlone = await lib.pruneLayer(la, W, acc, { pruner: lib.obc(), pattern: '0.5' });
    const d = byName.details as { startDetails: { predictedLoss?: number }; relError: number[]; objective: number[] };
    check(byName.options.start === 'obc' && JSON.stringify(byName.options.startOptions) === '{"damp":0.01}', () => `start options ${JSON.stringify(byName.options)}`);
    expectClose('iobs start obc: startDetails.predictedLoss', [d.startDetails.predictedLoss ?? NaN], [(obcAlone.details as { predictedLoss: number }).predictedLoss], 1e-12, 1);
    expectClose('iobs start obc: the start is OBC', [d.relError[0]], [obcAlone.relError], 1e-9, obcAlone.relError);
    check(byName.relError <= obcAlone.relError * (1 + 1e-9), () => `iobs from obc ${byName.relError} worse than obc ${obcAlone.relError}`);
    for (const M of [byName.weight, byName.mask, obcAlone.weight, obcAlone.mask, W, acc]) M.free();
  },
};

// ---- values that are not numbers --------------------------------------------------------------

const valuesCase: Case = {
  name: "fromArray and write: a string or a non-number element is an error naming values, not a NaN matrix",
  deviceNeutral: true,
  async run({ lib, la }) {
    const start = la.liveBytes();
    await refusal(lib, "fromArray('abcd')", () => la.fromArray('abcd' as never, 2, 2), { type: 'ArgumentTypeError', fn: 'fromArray', arg: 'values', message: /got "abcd"/ });
    await refusal(lib, "fromArray([1, 'x', 3, 4])", () => la.fromArray([1, 'x', 3, 4] as never, 2, 2), { type: 'ArgumentTypeError', fn: 'fromArray', arg: 'values[1]', message: /must be a number; got "x"/ });
    await refusal(lib, 'fromArray({ length: 4 })', () => la.fromArray({ length: 4 } as never, 2, 2), { type: 'ArgumentTypeError', fn: 'fromArray', arg: 'values[0]' });
    await refusal(lib, 'fromArray(null)', () => la.fromArray(null as never, 2, 2), { type: 'ArgumentTypeError', fn: 'fromArray', arg: 'values' });
    await refusal(lib, 'fromArray(3 values, 2, 2)', () => la.fromArray([1, 2, 3], 2, 2), { type: 'ArgumentRangeError', fn: 'fromArray', arg: 'values', message: /length rows \* cols = 4/ });
    check(la.liveBytes() === start, () => `refused fromArray left ${la.liveBytes() - start} bytes`);
    const M = la.fromArray([1, 2, 3, 4], 2, 2);
    await refusal(lib, "write('abcd')", () => la.write(M, 'abcd' as never), { type: 'ArgumentTypeError', fn: 'write', arg: 'values' });
    await refusal(lib, 'write([1, null, 3, 4])', () => la.write(M, [1, null, 3, 4] as never), { type: 'ArgumentTypeError', fn: 'write', arg: 'values[1]' });
    check((await la.read(M)).join() === '1,2,3,4', () => 'a refused write changed M');
    M.free();
  },
};

// ---- ownership ------------------------------------------------------------------------------

const ownershipCase: Case = {
  name: 'ownership: liveBytes back to its start after every pruner x pattern once weight and mask are freed, and after refusals; views own nothing',
  deviceNeutral: true,
  async run({ lib, la }) {
    const rows = 5, cols = 8, rng = new Rng(4106);
    const base = la.liveBytes();
    const W = la.fromArray(rng.normals(rows * cols), rows, cols);
    const acc = new lib.HessianAccumulator(la, cols);
    await acc.addBatch({ data: rng.normals(30 * cols), rows: 30, cols });
    const H = await acc.hessian();
    const start = la.liveBytes();
    const leftover = (what: string) => check(la.liveBytes() === start, () => `${what}: ${la.liveBytes() - start} bytes not returned`);
    for (const pruner of everyPruner(lib)) {
      for (const pattern of PATTERNS) {
        for (const stats of [H, acc]) {
          const r = await lib.pruneLayer(la, W, stats, { pruner, pattern });
          check(la.liveBytes() > start, () => `${pruner.method} ${pattern}: the result holds no storage`);
          r.weight.free();
          r.mask.free();
          leftover(`${pruner.method} ${pattern} (${stats === H ? 'H' : 'accumulator'})`);
        }
      }
    }
    // Refusals: an indefinite H (for every method), a pattern no pruner can honour run directly.
    const indefinite = la.fromArray(Array.from({ length: cols * cols }, (_, t) => (t % (cols + 1) === 0 ? 1 : t === 1 || t === cols ? 3 : 0)), cols, cols);
    const bad = { kind: 'nm', n: 2, m: 3 } as const; // 3 does not divide the 8 inputs
    for (const pruner of everyPruner(lib)) {
      await refusal(lib, `${pruner.method} indefinite`, () => lib.pruneLayer(la, W, indefinite, { pruner, pattern: '2:4' }), { arg: 'stats' });
      await refusal(lib, `${pruner.method}.run 2:3 on 8 inputs`, () => pruner.run(la, W, H, bad, { check: 'trusted', onProgress: null }), {});
      await refusal(lib, `${pruner.method} 2:3 on 8 inputs`, () => lib.pruneLayer(la, W, H, { pruner, pattern: bad }), { fn: 'pruneLayer', arg: 'options.pattern.m' });
      await refusal(lib, `${pruner.method} 90% of a freed accumulator`, async () => {
        const dead = new lib.HessianAccumulator(la, cols);
        dead.free();
        return lib.pruneLayer(la, W, dead, { pruner, pattern: '0.9' });
      }, {});
    }
    indefinite.free();
    leftover('refusals');
    // Views: free() is an error; freeing the parent makes every view unusable.
    const V = W.view(1, 2, 3, 4);
    await refusal(lib, 'view.free()', () => V.free(), { type: 'ArgumentRangeError', fn: 'Matrix.free' });
    check(!V.owner && W.owner && !V.freed, () => 'owner / freed flags');
    const copy = await la.copy(V);
    check(copy.owner && copy.rows === 3 && copy.cols === 4, () => 'copy of a view');
    copy.free();
    leftover('copy of a view');
    await refusal(lib, 'scope.track(view)', () => la.scope().track(V), { fn: 'Scope.track', arg: 'M' });
    W.free();
    check(V.freed && W.freed, () => 'a freed parent leaves its view live');
    await refusal(lib, 'read(view of freed)', () => la.read(V), { fn: 'read', arg: 'M', message: /has not been freed/ });
    await refusal(lib, 'copy(view of freed)', () => la.copy(V), { fn: 'copy', arg: 'A' });
    const H4 = la.matrix(4, 4);
    await refusal(lib, 'pruneLayer(view of freed)', () => lib.pruneLayer(la, V, H4, { pruner: lib.magnitude(), pattern: '0.5' }), { fn: 'pruneLayer', arg: 'W', message: /has not been freed/ });
    W.free(); // freeing twice is harmless
    for (const M of [H4, H, acc]) M.free();
    check(la.liveBytes() === base, () => `${la.liveBytes() - base} bytes left at the end`);
  },
};

// ---- float16 / bfloat16 storage ---------------------------------------------------------------

const halfStorageCase: Case = {
  name: 'float16 and bfloat16 weights from raw bits, converted with la.convert, prune exactly as the float32 weight of the same values',
  deviceNeutral: true,
  async run({ lib, la }) {
    const rows = 6, cols = 16, rng = new Rng(4107);
    // k/8 with |k| ≤ 40: exact in float16 (11 significant bits) and bfloat16 (8).
    const values = Array.from({ length: rows * cols }, () => (rng.int(81) - 40) / 8);
    const acc = new lib.HessianAccumulator(la, cols);
    await acc.addBatch({ data: rng.normals(50 * cols), rows: 50, cols });
    const plain = la.fromArray(values, rows, cols);
    for (const [dtype, toBits] of [['float16', lib.numberToFloat16], ['bfloat16', lib.numberToBfloat16]] as const) {
      const bits = Uint16Array.from(values, toBits);
      const W16 = la.fromArray(bits, rows, cols, dtype);
      check((await la.read(W16)).join() === bits.join(), () => `${dtype}: raw bits not kept`);
      await refusal(lib, `pruneLayer(${dtype})`, () => lib.pruneLayer(la, W16 as never, acc, { pruner: lib.wanda(), pattern: '2:4' }), {
        type: 'ArgumentTypeError', fn: 'pruneLayer', arg: 'W', message: new RegExp(`convert ${dtype} with la\\.convert first`),
      });
      const W32 = await la.convert(W16, 'float32'), W64 = await la.convert(W16, 'float64');
      check((await la.read(W32)).join() === values.join() && (await la.read(W64)).join() === values.join(), () => `${dtype}: converted values differ`);
      for (const pruner of everyPruner(lib)) {
        for (const pattern of PATTERNS) {
          const a = await pruned(lib, la, W32, acc, pruner, pattern, `${dtype} ${pruner.method} ${pattern}`);
          const b = await pruned(lib, la, plain, acc, pruner, pattern, `float32 ${pruner.method} ${pattern}`);
          check(a.mask.join() === b.mask.join() && a.weight.join() === b.weight.join() && a.result.relError === b.result.relError, () => `${dtype} ${pruner.method} ${pattern}: differs from the float32 weight`);
        }
      }
      for (const M of [W16, W32, W64]) M.free();
    }
    plain.free();
    acc.free();
  },
};

/** Weights too large for float32: refused as an overflow naming W before any pruner runs (OBC used to say "W or H holds NaN"). */
const overflowCase: Case = {
  name: 'pruneLayer: a float32 layer whose output energy overflows is refused naming W as an overflow, for every method; in float64 it prunes',
  deviceNeutral: true,
  async run({ lib, la }) {
    const rows = 4, cols = 8, rng = new Rng(4107);
    const X = rng.normals(3 * cols * cols).slice(0, 3 * cols * cols);
    const W = rng.normals(rows * cols).map((v) => v * 1e30);
    const scope = la.scope();
    try {
      for (const dtype of ['float32', 'float64'] as const) {
        const acc = new lib.HessianAccumulator(la, cols, { dtype });
        try {
          await acc.addBatch({ data: X, rows: 3 * cols, cols });
          const Wm = scope.track(la.fromArray(W, rows, cols, dtype));
          for (const method of ['magnitude', 'wanda', 'sparsegpt', 'obc', 'iobs'] as const) {
            if (dtype === 'float32') {
              await refusal(lib, `${method} float32`, () => lib.pruneLayer(la, Wm, acc, { pruner: lib.makePruner(method), pattern: '0.5' }), { type: 'ArgumentRangeError', fn: 'pruneLayer', arg: 'W', message: /overflows/ });
            } else {
              const r = await lib.pruneLayer(la, Wm, acc, { pruner: lib.makePruner(method), pattern: '0.5' });
              scope.track(r.weight);
              scope.track(r.mask);
              check(Number.isFinite(r.relError) && r.relError >= 0, () => `${method} float64: relError ${r.relError}`);
            }
          }
        } finally {
          acc.free();
        }
      }
    } finally {
      scope.free();
    }
  },
};

export function pruningApiCases(): Case[] {
  return [psdToleranceCase, indefiniteCase, raisedDampingCase, noSignalCase, prunerValuesCase, valuesCase, ownershipCase, halfStorageCase, overflowCase];
}
