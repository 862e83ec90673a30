// Sparse recovery (recover, leastSquares and the general problems) against float64 loops written
// here: textbook k-IHT, the exact Newton step, optimality of the I-OBS weights on their support,
// the OBS selections, the k-nonzeros invariant, agreement between the four problem kinds, the
// stopping test, bad input (each class of the API's refusals), option errors, and that every run
// frees what it allocates. Odd sizes, several seeds, float64 (and one float32 check). Every case
// is device neutral: results come back as the Float64Array recover returns or through la.read.
import { type Case, type CaseContext, check, expectClose } from './harness.js';
import { invert } from './downdate.js';
import { jacobiEigenvalues } from './lammax.js';
import { Rng } from './random.js';

/** A least-squares instance y = Aθ* with θ* k*-sparse (float64 arrays, row-major A). */
interface Instance {
  n: number;
  d: number;
  A: number[];
  y: number[];
  theta: number[];
}

function instance(seed: number, n: number, d: number, kStar: number): Instance {
  const rng = new Rng(seed);
  const A = rng.normals(n * d).map((v) => v / Math.sqrt(n));
  const theta = new Array<number>(d).fill(0);
  let placed = 0;
  while (placed < kStar) {
    const j = rng.int(d);
    if (theta[j] === 0) (theta[j] = rng.normal() + Math.sign(rng.normal()) * 0.5), placed++;
  }
  return { n, d, A, y: matvec(A, theta, n, d), theta };
}

function matvec(A: ArrayLike<number>, x: ArrayLike<number>, n: number, d: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += A[i * d + j] * x[j];
    return s;
  });
}

/** Aᵀ v. */
function tmatvec(A: ArrayLike<number>, v: ArrayLike<number>, n: number, d: number): number[] {
  const out = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[j] += A[i * d + j] * v[i];
  return out;
}

/** AᵀA (d x d, row-major). */
function gram(A: ArrayLike<number>, n: number, d: number): number[] {
  const H = new Array<number>(d * d).fill(0);
  for (let i = 0; i < n; i++) for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) H[p * d + q] += A[i * d + p] * A[i * d + q];
  return H;
}

function lsGradient(inst: Instance, x: ArrayLike<number>): number[] {
  const r = matvec(inst.A, x, inst.n, inst.d).map((v, i) => v - inst.y[i]);
  return tmatvec(inst.A, r, inst.n, inst.d);
}

/** T_k: keeps the k largest |v_i| (ties to the smaller index). */
function hardThreshold(v: ArrayLike<number>, k: number): number[] {
  const order = Array.from(v, (_, i) => i).sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]) || a - b);
  const out = new Array<number>(v.length).fill(0);
  for (const i of order.slice(0, k)) out[i] = v[i];
  return out;
}

function nnz(x: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) c++;
  return c;
}

function relErr(x: ArrayLike<number>, t: ArrayLike<number>): number {
  let e = 0, s = 0;
  for (let i = 0; i < t.length; i++) (e += (x[i] - t[i]) ** 2), (s += t[i] ** 2);
  return Math.sqrt(e / s);
}

/** Awaits f and checks it rejects with an error whose message matches `pattern`; returns the error. */
async function expectRejects(f: () => Promise<unknown>, pattern: RegExp): Promise<Error> {
  let err: unknown = null;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  const msg = err instanceof Error ? err.message : '';
  check(pattern.test(msg), () => `expected an error matching ${pattern}, got ${err === null ? 'none' : JSON.stringify(msg)}`);
  return err as Error;
}

async function problemOf(ctx: CaseContext, inst: Instance, dtype: 'float32' | 'float64' = 'float64', options?: { damp?: number }) {
  const A = ctx.la.fromArray(inst.A, inst.n, inst.d, dtype), y = ctx.la.fromArray(inst.y, inst.n, 1, dtype);
  try {
    return await ctx.lib.leastSquares(ctx.la, A, y, options);
  } finally {
    A.free();
    y.free();
  }
}

const SIZES: [number, number, number, number][] = [
  // seed, n, d, k*
  [1, 37, 23, 4],
  [2, 61, 29, 5],
  [3, 50, 17, 3],
];

async function kihtMatchesTextbook(ctx: CaseContext): Promise<void> {
  for (const [seed, n, d, kStar] of SIZES) {
    const inst = instance(seed, n, d, kStar);
    const k = kStar + 3;
    const problem = await problemOf(ctx, inst);
    try {
      const L = Math.max(...jacobiEigenvalues(gram(inst.A, n, d), d));
      let x = new Array<number>(d).fill(0);
      const seen: number[][] = [];
      const res = await ctx.lib.recover(ctx.la, problem, { k, method: 'kiht', steps: 40, onIteration: (_t, xt) => void seen.push(Array.from(xt)) });
      // The default step is 1/λ_max(AᵀA) by power iteration.
      expectClose(`seed ${seed}: eta = 1/L`, [res.eta], [1 / L], 1e-6, 1 / L);
      check(seen.length === 40 && res.iterations === 40 && res.stopReason === 'steps', () => `seed ${seed}: ${seen.length} iterates, ${res.iterations} iterations, ${res.stopReason}`);
      for (let t = 0; t < 40; t++) {
        const g = lsGradient(inst, x);
        x = hardThreshold(x.map((v, i) => v - res.eta * g[i]), k);
        expectClose(`seed ${seed} k-IHT iterate ${t + 1}`, seen[t], x, 1e-10, Math.max(...x.map(Math.abs)));
        const r = matvec(inst.A, x, n, d).map((v, i) => v - inst.y[i]);
        expectClose(`seed ${seed} objective ${t + 1}`, [res.history.objective[t]], [0.5 * r.reduce((s, v) => s + v * v, 0)], 1e-9, 1);
      }
    } finally {
      problem.free();
    }
  }
}

async function newtonStepRecovers(ctx: CaseContext): Promise<void> {
  for (const [seed, n, d, kStar] of SIZES) {
    const inst = instance(seed + 10, n, d, kStar);
    const problem = await problemOf(ctx, inst);
    try {
      for (const method of ['topk-iobs', 'iobs'] as const) {
        const res = await ctx.lib.recover(ctx.la, problem, { k: kStar + 2, method, steps: 1 });
        check(res.dampUsed === null, () => `seed ${seed}: overdetermined A was damped (${res.dampUsed})`);
        check(res.eta === 1, () => `default I-OBS eta ${res.eta}`);
        const e = relErr(res.x, inst.theta);
        check(e <= 1e-8, () => `seed ${seed} ${method}: one Newton step gives relative error ${e}`);
      }
    } finally {
      problem.free();
    }
  }
}

async function float32Recovers(ctx: CaseContext): Promise<void> {
  const inst = instance(21, 45, 19, 4);
  const problem = await problemOf(ctx, inst, 'float32');
  try {
    check(problem.dtype === 'float32', () => `dtype ${problem.dtype}`);
    const res = await ctx.lib.recover(ctx.la, problem, { k: 6, method: 'topk-iobs', steps: 3 });
    const e = relErr(res.x, inst.theta);
    check(e <= 1e-4, () => `float32 Top-k I-OBS relative error ${e}`);
  } finally {
    problem.free();
  }
}

/** The I-OBS iterate from x0 with step eta: optimal on its support, support chosen by OBS. */
async function iobsOptimalOnSupport(ctx: CaseContext): Promise<void> {
  for (const [seed, n, d, kStar] of SIZES) {
    // Columns of very different scales, so u_i² and u_i²/[H⁻¹]_ii rank differently.
    const inst = scaleColumns(instance(seed + 20, n, d, kStar), (j) => 0.2 + (3 * ((j * 7) % d)) / d);
    const rng = new Rng(seed + 99);
    const x0 = rng.normals(d);
    const k = kStar + 4, eta = 0.7;
    const H = gram(inst.A, n, d), Hinv = invert(H, d);
    const g = lsGradient(inst, x0);
    const dir = matvec(Hinv, g, d, d);
    const u = x0.map((v, i) => v - eta * dir[i]);
    const problem = await problemOf(ctx, inst);
    try {
      for (const selection of ['greedy', 'oneshot'] as const) {
        const { x } = await ctx.lib.recover(ctx.la, problem, { k, method: 'iobs', steps: 1, eta, x0, selection });
        check(nnz(x) === k, () => `${selection}: ${nnz(x)} nonzeros, want ${k}`);
        // ∇ of the model ⟨g, θ − x0⟩ + (1/2η)(θ − x0)ᵀH(θ − x0) vanishes on the support.
        const Hd = matvec(H, x.map((v, i) => v - x0[i]), d, d);
        const model = g.map((gi, i) => gi + Hd[i] / eta);
        const scale = Math.max(...g.map(Math.abs));
        for (let i = 0; i < d; i++) {
          if (x[i] !== 0) check(Math.abs(model[i]) <= 1e-9 * scale, () => `${selection} seed ${seed}: model gradient ${model[i]} at support index ${i}`);
        }
        const want = selection === 'oneshot' ? oneshotSupport(u, Hinv, d, k) : greedySupport(u, Hinv, d, k);
        const got = Array.from(x, (v, i) => (v !== 0 ? i : -1)).filter((i) => i >= 0);
        check(got.join() === want.join(), () => `${selection} seed ${seed}: support [${got}] != [${want}]`);
      }
    } finally {
      problem.free();
    }
  }
}

/** The instance with column j of A multiplied by s(j) (θ* divided by it, so y is unchanged). */
function scaleColumns(inst: Instance, s: (j: number) => number): Instance {
  const A = inst.A.map((v, i) => v * s(i % inst.d));
  const theta = inst.theta.map((v, j) => v / s(j));
  return { ...inst, A, theta, y: matvec(A, theta, inst.n, inst.d) };
}

/** The k largest u_i² / [H⁻¹]_ii. */
function oneshotSupport(u: number[], Hinv: number[], d: number, k: number): number[] {
  const s = u.map((v, i) => (v * v) / Hinv[i * d + i]);
  return Array.from(s, (_, i) => i).sort((a, b) => s[b] - s[a] || a - b).slice(0, k).sort((a, b) => a - b);
}

/** Greedy OBS: remove argmin w_p²/[H⁻¹]_pp, compensate w, downdate H⁻¹, d − k times. */
function greedySupport(u: number[], Hinv0: number[], d: number, k: number): number[] {
  const w = u.slice(), h = Hinv0.slice(), live = new Array<boolean>(d).fill(true);
  for (let t = 0; t < d - k; t++) {
    let p = -1;
    for (let j = 0; j < d; j++) if (live[j] && (p < 0 || w[j] ** 2 / h[j * d + j] < w[p] ** 2 / h[p * d + p])) p = j;
    const hp = h[p * d + p], col = Array.from({ length: d }, (_, i) => h[i * d + p]);
    const f = w[p] / hp;
    for (let j = 0; j < d; j++) w[j] -= f * col[j];
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) h[i * d + j] -= (col[i] * col[j]) / hp;
    live[p] = false;
  }
  return live.map((l, i) => (l ? i : -1)).filter((i) => i >= 0);
}

async function neverMoreThanK(ctx: CaseContext): Promise<void> {
  // Overdetermined, and underdetermined (n < d: AᵀA singular, so H is damped).
  for (const [seed, n, d, kStar] of [[4, 41, 19, 3], [5, 13, 31, 3]]) {
    const inst = instance(seed, n, d, kStar);
    const problem = await problemOf(ctx, inst);
    try {
      if (n < d) check(problem.dampUsed !== null && problem.dampUsed > 0, () => `n < d: dampUsed ${problem.dampUsed}`);
      else check(problem.dampUsed === null, () => `n > d: dampUsed ${problem.dampUsed}`);
      const x0 = new Rng(seed).normals(d);
      for (const method of ['kiht', 'topk-iobs', 'iobs'] as const) {
        for (const k of [1, kStar + 2, d - 1]) {
          let calls = 0;
          const res = await ctx.lib.recover(ctx.la, problem, {
            k, method, steps: 12, x0, eta: method === 'kiht' ? undefined : 0.8,
            selection: k === 1 ? 'oneshot' : 'greedy',
            onIteration: (t, x) => {
              calls++;
              check(t === calls, () => `onIteration t = ${t} at call ${calls}`);
              check(nnz(x) <= k, () => `${method} k = ${k}: iterate ${t} has ${nnz(x)} nonzeros`);
              check(x.every(Number.isFinite), () => `${method}: non-finite iterate ${t}`);
            },
          });
          check(calls === 12 && nnz(res.x) <= k, () => `${method} k = ${k}: ${calls} calls, ${nnz(res.x)} nonzeros`);
          const h = res.history;
          check(h.objective.length === 12 && h.stepSize.length === 12 && h.supportChanges.length === 12, () => 'history lengths');
          check(h.supportChanges.every((c) => Number.isInteger(c) && c >= 0 && c <= k), () => `support changes ${h.supportChanges}`);
          // x0 has d nonzeros, so at t = 1 nothing can enter the support.
          check(h.supportChanges[0] === 0, () => `support changes at t = 1 from a dense x0: ${h.supportChanges[0]}`);
          check(h.objective.every(Number.isFinite) && h.stepSize.every((s) => s >= 0), () => 'history values');
        }
      }
    } finally {
      problem.free();
    }
  }
}

/** The support changes are the indices kept at t and not at t − 1, from the iterates themselves. */
async function supportChangesCounted(ctx: CaseContext): Promise<void> {
  const inst = instance(71, 33, 15, 3);
  const problem = await problemOf(ctx, inst);
  try {
    const x0 = new Array<number>(15).fill(0);
    x0[0] = 1;
    x0[4] = -2;
    const seen: Float64Array[] = [Float64Array.from(x0)];
    const res = await ctx.lib.recover(ctx.la, problem, { k: 5, method: 'kiht', steps: 8, x0, onIteration: (_t, x) => void seen.push(x) });
    for (let t = 1; t <= 8; t++) {
      // Every entry the projection kept is nonzero here (u has no exact zeros), so the kept set is the support.
      const entered = Array.from(seen[t]).filter((v, i) => v !== 0 && seen[t - 1][i] === 0).length;
      check(res.history.supportChanges[t - 1] === entered, () => `t = ${t}: supportChanges ${res.history.supportChanges[t - 1]}, counted ${entered}`);
      const step = Math.sqrt(seen[t].reduce((s, v, i) => s + (v - seen[t - 1][i]) ** 2, 0));
      expectClose(`step ${t}`, [res.history.stepSize[t - 1]], [step], 1e-12, step);
    }
  } finally {
    problem.free();
  }
}

/** hessian/quadratic, hvp and fisher problems on AᵀA give the iterates of leastSquares. */
async function problemsAgree(ctx: CaseContext): Promise<void> {
  const { lib, la } = ctx;
  const inst = instance(31, 43, 21, 4);
  const { n, d } = inst;
  const H = gram(inst.A, n, d);
  const gradient = (t: Float64Array) => lsGradient(inst, t);
  const Hm = la.fromArray(H, d, d, 'float64');
  const G = la.fromArray(inst.A.map((v) => v * Math.sqrt(n)), n, d, 'float64');
  const problems: Record<string, Awaited<ReturnType<typeof problemOf>>> = {};
  try {
    problems.leastSquares = await problemOf(ctx, inst);
    problems.hessian = await lib.hessianProblem(la, { d, gradient, hessian: Hm });
    problems.quadratic = await lib.quadraticProblem(la, { d, gradient, hessian: Hm });
    problems.hvp = await lib.hvpProblem(la, { d, gradient, hvp: (v) => matvec(H, v, d, d) });
    problems.fisher = await lib.fisherProblem(la, { d, gradient, sampleGradients: G, damp: 0 });
  } finally {
    Hm.free();
    G.free();
  }
  try {
    const yy = 0.5 * inst.y.reduce((s, v) => s + v * v, 0);
    const L = await problems.leastSquares.lipschitz();
    for (const [name, p] of Object.entries(problems)) {
      expectClose(`${name} λ_max`, [await p.lipschitz()], [L], 1e-6, L);
    }
    for (const method of ['kiht', 'topk-iobs', 'iobs'] as const) {
      const x0 = new Rng(7).normals(d);
      const opts = { k: 6, method, steps: 6, x0, eta: method === 'kiht' ? 1 / L : 0.9 };
      const want = await lib.recover(la, problems.leastSquares, opts);
      for (const [name, p] of Object.entries(problems)) {
        const got = await lib.recover(la, p, opts);
        expectClose(`${name} ${method} x`, got.x, want.x, 1e-8, Math.max(...want.x.map(Math.abs)));
        // Without a caller objective the model ∇f(0)ᵀθ + ½θᵀHθ is reported: f(θ) − ½‖y‖².
        const shift = name === 'leastSquares' ? 0 : yy;
        expectClose(`${name} ${method} objective`, got.history.objective.map((v) => v + shift), want.history.objective, 1e-8, yy);
      }
    }
  } finally {
    Object.values(problems).forEach((p) => p.free());
  }
}

/** The problem methods on backend vectors: evaluate, gradient, H v, H⁻¹ g against float64 loops. */
async function problemMethods(ctx: CaseContext): Promise<void> {
  const { lib, la } = ctx;
  const inst = instance(33, 29, 11, 3);
  const { n, d } = inst;
  const H = gram(inst.A, n, d);
  const problems = [await problemOf(ctx, inst), await lib.hvpProblem(la, { d, gradient: (t) => lsGradient(inst, t), hvp: (v) => matvec(H, v, d, d), objective: (t) => 0.5 * matvec(inst.A, t, n, d).reduce((s, v, i) => s + (v - inst.y[i]) ** 2, 0) })];
  const theta = new Rng(3).normals(d);
  const x = la.fromArray(theta, d, 1, 'float64'), out = la.matrix(d, 1, 'float64');
  try {
    const r = matvec(inst.A, theta, n, d).map((v, i) => v - inst.y[i]);
    const f = 0.5 * r.reduce((s, v) => s + v * v, 0), g = lsGradient(inst, theta);
    const scale = Math.max(...g.map(Math.abs));
    for (const p of problems) {
      expectClose(`${p.kind} evaluate`, [await p.evaluate(x, out)], [f], 1e-12, f);
      expectClose(`${p.kind} evaluate's gradient`, await la.read(out), g, 1e-12, scale);
      await la.fill(out, 0);
      await p.gradient(x, out);
      expectClose(`${p.kind} gradient`, await la.read(out), g, 1e-12, scale);
      await p.hessianTimes(x, out);
      const Hx = matvec(H, theta, d, d);
      expectClose(`${p.kind} H v`, await la.read(out), Hx, 1e-12, Math.max(...Hx.map(Math.abs)));
      await p.newtonDirection(x, out);
      const want = matvec(invert(H, d), theta, d, d);
      expectClose(`${p.kind} H⁻¹ g`, await la.read(out), want, 1e-9, Math.max(...want.map(Math.abs)));
    }
    await expectRejects(() => problems[0].evaluate(la.matrix(1, d, 'float64'), null), /leastSquares: argument theta .*11 x 1/);
  } finally {
    problems.forEach((p) => p.free());
    x.free();
    out.free();
  }
}

/** gradientScale 'paper': the first Top-k I-OBS step from 0 with η = 1 lands on T_k((2/n)θ*). */
async function paperScale(ctx: CaseContext): Promise<void> {
  const inst = instance(41, 39, 15, 3);
  const problem = await problemOf(ctx, inst);
  try {
    const res = await ctx.lib.recover(ctx.la, problem, { k: 5, method: 'topk-iobs', steps: 1, gradientScale: 'paper' });
    expectClose('paper-scaled Newton step', res.x, hardThreshold(inst.theta.map((v) => (2 / inst.n) * v), 5), 1e-10, 1);
    const exact = await ctx.lib.recover(ctx.la, problem, { k: 5, method: 'topk-iobs', steps: 1, gradientScale: 'exact' });
    expectClose('exact Newton step', exact.x, inst.theta, 1e-10, 1);
  } finally {
    problem.free();
  }
}

async function stopping(ctx: CaseContext): Promise<void> {
  const { lib, la } = ctx;
  const inst = instance(51, 40, 18, 3);
  const problem = await problemOf(ctx, inst);
  try {
    // From θ* onwards Top-k I-OBS with η = 1 stays put: the second step changes nothing.
    const res = await lib.recover(la, problem, { k: 4, method: 'topk-iobs', steps: 50, tol: 1e-12 });
    check(res.converged && res.iterations === 2 && res.stopReason === 'converged', () => `tol: converged ${res.converged} (${res.stopReason}) after ${res.iterations}`);
    const stopped = await lib.recover(la, problem, { k: 4, method: 'kiht', steps: 50, onIteration: (t) => t < 3 });
    check(stopped.iterations === 3 && !stopped.converged && stopped.stopReason === 'callback', () => `onIteration false: ${stopped.iterations} iterations, ${stopped.stopReason}`);
    const none = await lib.recover(la, problem, { k: 4, method: 'iobs', steps: 0 });
    check(none.iterations === 0 && none.x.every((v) => v === 0) && none.stopReason === 'steps', () => 'steps 0');
    // A step 1000× too long diverges; the error (a ComputationError: the input was valid) names eta instead of returning NaN.
    const L = await problem.lipschitz();
    const err = await expectRejects(() => lib.recover(la, problem, { k: 4, method: 'kiht', steps: 400, eta: 1000 / L }), /recover: the step size in argument options\.eta makes kiht diverge: .* at iteration \d+/);
    check(err instanceof lib.ComputationError && (err as InstanceType<typeof lib.ComputationError>).arg === 'options.eta', () => `divergence error ${err?.name}`);
  } finally {
    problem.free();
  }
}

/**
 * converged means stationary: the step test alone is passed by a step size so small that nothing
 * moves. Those runs end with converged false ('stalled' at an exact fixed point, else 'steps');
 * a run that does converge has a small gradient on its support.
 */
async function convergedMeansStationary(ctx: CaseContext): Promise<void> {
  const { lib, la } = ctx;
  const inst = instance(52, 40, 18, 3);
  const problem = await problemOf(ctx, inst);
  try {
    const x0 = hardThreshold(new Rng(8).normals(18), 4);
    for (const method of ['kiht', 'topk-iobs', 'iobs'] as const) {
      // θ − 1e-300·direction rounds to θ: the first iterate is x0 again, bit for bit. (I-OBS's
      // re-solve on the support moves it by rounding, so it may not repeat exactly.)
      const still = await lib.recover(la, problem, { k: 4, method, eta: 1e-300, tol: 1e-6, steps: 50, x0 });
      const ended = method === 'iobs' ? still.stopReason !== 'converged' : still.stopReason === 'stalled' && still.iterations === 1;
      check(!still.converged && ended,
        () => `${method}, eta 1e-300 from x0: converged ${still.converged}, ${still.stopReason} after ${still.iterations}`);
    }
    // From 0 the same step crawls: relative steps 1/t pass the step test (tol 0.1) from t = 11 on, the gradient test never.
    const crawl = await lib.recover(la, problem, { k: 4, method: 'kiht', eta: 1e-300, tol: 0.1, steps: 40 });
    check(!crawl.converged && crawl.stopReason === 'steps' && crawl.iterations === 40, () => `crawl: converged ${crawl.converged}, ${crawl.stopReason} after ${crawl.iterations}`);
    const real = await lib.recover(la, problem, { k: 4, method: 'kiht', tol: 1e-10, steps: 20000 });
    check(real.converged && real.stopReason === 'converged' && real.iterations < 20000, () => `k-IHT tol 1e-10: ${real.stopReason} after ${real.iterations}`);
    const g = lsGradient(inst, real.x), g0 = lsGradient(inst, new Array(18).fill(0));
    const onSupport = Math.sqrt(g.reduce((s, v, i) => s + (real.x[i] !== 0 ? v * v : 0), 0));
    const scale = Math.sqrt(g0.reduce((s, v) => s + v * v, 0));
    check(onSupport <= 1.01e-10 * scale, () => `converged, but ‖∇_S f‖ = ${onSupport} > 1e-10·‖∇f(0)‖ = ${1e-10 * scale}`);
    check(relErr(real.x, inst.theta) <= 1e-8, () => `converged k-IHT relative error ${relErr(real.x, inst.theta)}`);
  } finally {
    problem.free();
  }
}

/**
 * The bad-input classes each refused with the argument named: an indefinite Hessian with a
 * positive diagonal, an AᵀA that overflows float32, unknown option keys; and input that only looks
 * bad (rounding below zero in a PSD Hessian, damp 0 on a singular AᵀA) accepted.
 */
async function badInput(ctx: CaseContext): Promise<void> {
  const { lib, la } = ctx;
  const inst = instance(63, 20, 9, 2);
  const gradient = (t: Float64Array) => lsGradient(inst, t);
  // (a) indefinite, eigenvalues 5, −1, 1, diagonal positive: refused, not damped while f rises.
  const bad = la.fromArray([2, 3, 0, 3, 2, 0, 0, 0, 1], 3, 3, 'float64');
  try {
    const e = await expectRejects(() => lib.hessianProblem(la, { d: 3, hessian: bad, gradient: () => [1, 1, 1] }), /hessianProblem: argument spec\.hessian must be a positive semidefinite Hessian/);
    check(e instanceof lib.ArgumentRangeError && (e as InstanceType<typeof lib.ArgumentRangeError>).arg === 'spec.hessian', () => `indefinite H: ${e?.name}`);
  } finally {
    bad.free();
  }
  // A Gram matrix of rank 5 < 9, formed in float64 here: PSD up to rounding, accepted and damped.
  const under = instance(64, 5, 9, 2);
  const Hu = la.fromArray(gram(under.A, 5, 9), 9, 9, 'float64');
  try {
    const p = await lib.hessianProblem(la, { d: 9, hessian: Hu, gradient: (t) => lsGradient(under, t) });
    check(p.dampUsed !== null && p.dampUsed > 0, () => `rank-deficient Gram H: dampUsed ${p.dampUsed}`);
    p.free();
  } finally {
    Hu.free();
  }
  // (b) float32 A with entries ~1e20: AᵀA overflows; that is what the error says, naming A (not damp).
  const A32 = la.fromArray(Array.from({ length: 12 }, (_, i) => 1e20 * (1 + (i % 5))), 4, 3, 'float32');
  const y32 = la.fromArray([1, 2, 3, 4], 4, 1, 'float32');
  try {
    const e = await expectRejects(() => lib.leastSquares(la, A32, y32), /leastSquares: argument A must be .*overflows/);
    check(!/damp/.test(e.message) && e instanceof lib.ArgumentRangeError && (e as InstanceType<typeof lib.ArgumentRangeError>).arg === 'A', () => `overflow: ${e.message}`);
  } finally {
    A32.free();
    y32.free();
  }
  // damp 0 given on a singular AᵀA: raised ×10 with a warning (the one damping rule), not refused.
  const Au = la.fromArray(under.A, 5, 9, 'float64'), yu = la.fromArray(under.y, 5, 1, 'float64');
  try {
    const p = await lib.leastSquares(la, Au, yu, { damp: 0 });
    check(p.dampUsed !== null && p.dampUsed > 0 && p.warnings.some((w) => /damping raised/.test(w)), () => `damp 0, singular: dampUsed ${p.dampUsed}, warnings ${p.warnings}`);
    p.free();
  } finally {
    Au.free();
    yu.free();
  }
  // (d) unknown option keys, with the closest name.
  const A = la.fromArray(inst.A, 20, 9, 'float64'), y = la.fromArray(inst.y, 20, 1, 'float64');
  const H = la.fromArray(gram(inst.A, 20, 9), 9, 9, 'float64');
  const problem = await lib.leastSquares(la, A, y);
  try {
    await expectRejects(() => lib.recover(la, problem, { k: 2, method: 'kiht', stpes: 3 } as never), /recover: argument options\.stpes .*did you mean 'steps'/);
    await expectRejects(() => lib.recover(la, problem, { k: 2, method: 'iobs', selecton: 'oneshot' } as never), /options\.selecton .*did you mean 'selection'/);
    await expectRejects(() => lib.leastSquares(la, A, y, { dmap: 0.1 } as never), /leastSquares: argument options\.dmap .*did you mean 'damp'/);
    await expectRejects(() => lib.hessianProblem(la, { d: 9, hessain: H, gradient } as never), /hessianProblem: argument spec\.hessain .*did you mean 'hessian'/);
    await expectRejects(() => lib.quadraticProblem(la, { d: 9, hessian: H, gradient, objectve: () => 0 } as never), /argument spec\.objectve .*did you mean 'objective'/);
    await expectRejects(() => lib.hvpProblem(la, { d: 9, gradient, hvp: (v) => v, cgIteration: 5 } as never), /hvpProblem: argument spec\.cgIteration .*did you mean 'cgIterations'/);
    await expectRejects(() => lib.fisherProblem(la, { d: 9, gradient, sampleGradient: A, damp: 1 } as never), /fisherProblem: argument spec\.sampleGradient .*did you mean 'sampleGradients'/);
  } finally {
    problem.free();
    [A, y, H].forEach((M) => M.free());
  }
}

async function optionErrors(ctx: CaseContext): Promise<void> {
  const { lib, la } = ctx;
  const inst = instance(61, 20, 9, 2);
  const problem = await problemOf(ctx, inst);
  const rec = (o: object) => () => lib.recover(la, problem, o as never);
  const extra: { free(): void }[] = [];
  try {
    await expectRejects(rec({ k: 0, method: 'kiht' }), /recover: argument options\.k .*got 0/);
    await expectRejects(rec({ k: 10, method: 'kiht' }), /options\.k .*\[1, 9\].*got 10/);
    await expectRejects(rec({ k: 2.5, method: 'kiht' }), /options\.k .*integer.*2\.5/);
    await expectRejects(rec({ k: 2, method: 'newton' }), /options\.method .*'kiht'.*got "newton"/);
    await expectRejects(rec({ k: 2 }), /options\.method/);
    await expectRejects(rec({ k: 2, method: 'kiht', steps: -1 }), /options\.steps .*got -1/);
    await expectRejects(rec({ k: 2, method: 'kiht', eta: 0 }), /options\.eta .*> 0.*got 0/);
    await expectRejects(rec({ k: 2, method: 'kiht', eta: NaN }), /options\.eta .*got NaN/);
    await expectRejects(rec({ k: 2, method: 'kiht', tol: -1 }), /options\.tol .*got -1/);
    await expectRejects(rec({ k: 2, method: 'iobs', selection: 'best' }), /options\.selection .*got "best"/);
    await expectRejects(rec({ k: 2, method: 'iobs', gradientScale: 'half' }), /options\.gradientScale .*got "half"/);
    await expectRejects(rec({ k: 2, method: 'iobs', x0: [1, 2] }), /options\.x0 .*length d = 9.*got "length 2"/);
    await expectRejects(rec({ k: 2, method: 'iobs', x0: [1, 2, 3, 4, 5, 6, 7, 8, NaN] }), /options\.x0 .*NaN at index 8/);
    await expectRejects(rec({ k: 2, method: 'iobs', onIteration: 3 }), /options\.onIteration .*got 3/);
    await expectRejects(() => lib.recover(la, {} as never, { k: 1, method: 'kiht' }), /recover: argument problem .*RecoveryProblem/);
    await expectRejects(() => lib.recover(la, problem, undefined as never), /recover: argument options/);

    const A = la.fromArray(inst.A, 20, 9, 'float64'), y = la.fromArray(inst.y, 20, 1, 'float64');
    const y2 = la.fromArray(inst.y.slice(0, 19), 19, 1, 'float64');
    const bad = la.fromArray(inst.A.map((v, i) => (i === 13 ? Infinity : v)), 20, 9, 'float64');
    const asym = la.fromArray(Array.from({ length: 81 }, (_, i) => (i === 9 ? 4 : i % 10 === 0 ? 9 : 0)), 9, 9, 'float64');
    try {
      await expectRejects(() => lib.leastSquares(la, A, y2), /leastSquares: argument y .*20 x 1.*got 19x1 float64 matrix/);
      await expectRejects(() => lib.leastSquares(la, bad, y), /leastSquares: argument A .*finite.*Infinity at \(1, 4\)/);
      await expectRejects(() => lib.leastSquares(la, [1, 2] as never, y), /leastSquares: argument A must be a Matrix/);
      await expectRejects(() => lib.leastSquares(la, A, y, { damp: -1 }), /leastSquares: argument options\.damp .*got -1/);
      const gradient = (t: Float64Array) => lsGradient(inst, t);
      await expectRejects(() => lib.hessianProblem(la, { d: 9, hessian: asym, gradient }), /hessianProblem: argument spec\.hessian .*symmetric.*H\[1\]\[0\] = 4 but H\[0\]\[1\] = 0/);
      const H = await lib.hessianProblem(la, { d: 9, hessian: la.fromArray(gram(inst.A, 20, 9), 9, 9, 'float64'), gradient });
      extra.push(H);
      await expectRejects(() => lib.recover(la, H, { k: 2, method: 'kiht', gradientScale: 'paper' }), /options\.gradientScale .*leastSquares.*got "paper"/);
      await expectRejects(() => lib.fisherProblem(la, { d: 9, gradient, sampleGradients: A } as never), /fisherProblem: argument spec\.damp/);
      await expectRejects(() => lib.fisherProblem(la, { d: 8, gradient, sampleGradients: A, damp: 1 }), /fisherProblem: argument spec\.sampleGradients .*m x 8.*got 20x9/);
      await expectRejects(() => lib.hvpProblem(la, { d: 9, gradient } as never), /hvpProblem: argument spec\.hvp .*function/);
      await expectRejects(() => lib.hvpProblem(la, { d: 0, gradient, hvp: (v) => v }), /hvpProblem: argument spec\.d .*got 0/);
      const short = await lib.hvpProblem(la, { d: 9, gradient: () => [1, 2], hvp: (v) => v });
      extra.push(short);
      await expectRejects(() => lib.recover(la, short, { k: 2, method: 'kiht' }), /hvpProblem: argument spec\.gradient .*9 numbers/);
      const nanH = await lib.hvpProblem(la, { d: 9, gradient, hvp: (v) => Array.from(v, () => NaN) });
      extra.push(nanH);
      await expectRejects(() => lib.recover(la, nanH, { k: 2, method: 'topk-iobs' }), /hvpProblem: argument spec\.hvp .*finite.*NaN at index 0/);
      // A singular H from the products with damp 0: I-OBS cannot form H⁻¹, and says to damp.
      const singular = await lib.hvpProblem(la, { d: 9, gradient, hvp: (v) => [v[0], ...new Array(8).fill(0)] });
      extra.push(singular);
      await expectRejects(() => lib.recover(la, singular, { k: 2, method: 'iobs' }), /hvpProblem: argument spec\.damp .*positive definite.*got 0/);
    } finally {
      [A, y, y2, bad, asym].forEach((M) => M.free());
    }
  } finally {
    problem.free();
    extra.forEach((p) => p.free());
  }
}

/**
 * la.liveBytes() is back at its start after every method on every problem kind, and after runs
 * and constructors that throw (divergence, an indefinite Hessian, an overflowing AᵀA, a caller's
 * gradient that throws mid-run, a singular H under I-OBS).
 */
async function freesEverything(ctx: CaseContext): Promise<void> {
  const { lib, la } = ctx;
  const start = la.liveBytes();
  const same = (what: string) => check(la.liveBytes() === start, () => `${what}: ${la.liveBytes() - start} bytes still allocated`);
  const inst = instance(81, 27, 13, 3);
  const { n, d } = inst;
  const Hv = gram(inst.A, n, d);
  const gradient = (t: Float64Array) => lsGradient(inst, t);
  const makers: [string, () => Promise<Awaited<ReturnType<typeof problemOf>>>][] = [
    ['leastSquares', () => problemOf(ctx, inst)],
    ['leastSquares float32', () => problemOf(ctx, inst, 'float32')],
    ['leastSquares damped (n < d)', () => problemOf(ctx, instance(82, 9, 13, 2))],
    ['hessian', async () => {
      const H = la.fromArray(Hv, d, d, 'float64');
      try {
        return await lib.hessianProblem(la, { d, hessian: H, gradient });
      } finally {
        H.free();
      }
    }],
    ['hvp', () => lib.hvpProblem(la, { d, gradient, hvp: (v) => matvec(Hv, v, d, d) })],
    ['fisher', async () => {
      const G = la.fromArray(inst.A.map((v) => v * Math.sqrt(n)), n, d, 'float64');
      try {
        return await lib.fisherProblem(la, { d, gradient, sampleGradients: G, damp: 1e-3 });
      } finally {
        G.free();
      }
    }],
  ];
  for (const [name, make] of makers) {
    for (const [method, selection] of [['kiht', undefined], ['topk-iobs', undefined], ['iobs', 'greedy'], ['iobs', 'oneshot']] as const) {
      const p = await make();
      await lib.recover(la, p, { k: 4, method, selection, steps: 3, tol: 1e-9, onIteration: () => {} });
      p.free();
      same(`${name} ${method}${selection ? ` ${selection}` : ''}`);
    }
  }
  // Runs that throw.
  const p = await problemOf(ctx, inst);
  await expectRejects(async () => lib.recover(la, p, { k: 4, method: 'kiht', steps: 400, eta: 1000 / (await p.lipschitz()) }), /diverge/);
  p.free();
  same('divergence');
  let calls = 0;
  const flaky = await lib.hvpProblem(la, { d, hvp: (v) => matvec(Hv, v, d, d), gradient: (t) => {
    if (++calls === 3) throw new Error('caller gradient failed');
    return gradient(t);
  } });
  await expectRejects(() => lib.recover(la, flaky, { k: 4, method: 'iobs', steps: 5 }), /caller gradient failed/);
  flaky.free();
  same('a caller gradient that throws mid-run');
  const singular = await lib.hvpProblem(la, { d, gradient, hvp: (v) => [v[0], ...new Array(d - 1).fill(0)] });
  await expectRejects(() => lib.recover(la, singular, { k: 4, method: 'iobs' }), /spec\.damp/);
  singular.free();
  same('a singular H under I-OBS');
  const bad = la.fromArray([2, 3, 0, 3, 2, 0, 0, 0, 1], 3, 3, 'float64');
  await expectRejects(() => lib.hessianProblem(la, { d: 3, hessian: bad, gradient: () => [1, 1, 1] }), /positive semidefinite/);
  bad.free();
  same('an indefinite Hessian');
  const A32 = la.fromArray(new Array(12).fill(1e20), 4, 3, 'float32'), y32 = la.fromArray([1, 2, 3, 4], 4, 1, 'float32');
  await expectRejects(() => lib.leastSquares(la, A32, y32), /overflows/);
  A32.free();
  y32.free();
  same('an overflowing AᵀA');
}

export function recoveryCases(): Case[] {
  const cases: [string, (ctx: CaseContext) => Promise<void>][] = [
    ['recover: k-IHT iterates equal the textbook loop (eta = 1/λmax)', kihtMatchesTextbook],
    ['recover: one Newton step (η = 1) recovers θ* to 1e-8 on overdetermined A', newtonStepRecovers],
    ['recover: float32 least squares', float32Recovers],
    ['recover: I-OBS weights optimal on their OBS-chosen support (greedy, oneshot)', iobsOptimalOnSupport],
    ['recover: no iterate exceeds k nonzeros; damping only when n < d', neverMoreThanK],
    ['recover: support changes and step lengths match the iterates', supportChangesCounted],
    ['recover: hessian, quadratic, hvp and fisher problems agree with leastSquares', problemsAgree],
    ['recover: problem methods on backend vectors (evaluate, gradient, H v, H⁻¹ g)', problemMethods],
    ["recover: gradientScale 'paper' scales the Newton step by 2/n", paperScale],
    ['recover: tol, onIteration stop, steps 0, divergence names eta', stopping],
    ['recover: converged means stationary (eta = 1e-300 stalls, never converges)', convergedMeansStationary],
    ['recover: bad input refused (indefinite H, AᵀA overflow, unknown option keys)', badInput],
    ['recover: option and argument errors', optionErrors],
    ['recover: liveBytes back to the start after every method, problem kind and failed run', freesEverything],
  ];
  return cases.map(([name, run]) => ({ name, deviceNeutral: true, run }));
}
