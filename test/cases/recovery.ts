// Sparse recovery (recover, leastSquares and the general problems) against float64 loops written
// here: textbook k-IHT, the exact Newton step, optimality of the I-OBS weights on their support,
// the OBS selections, the k-nonzeros invariant, agreement between the four problem kinds, and
// option errors. Odd sizes, several seeds, float64 (and one float32 check).
import { type Case, type CaseContext, check, expectClose, expectThrow } from './harness.js';
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

function problemOf(ctx: CaseContext, inst: Instance, dtype: 'float32' | 'float64' = 'float64', options?: { damp?: number }) {
  const A = ctx.la.fromArray(inst.A, inst.n, inst.d, dtype), y = ctx.la.fromArray(inst.y, inst.n, 1, dtype);
  const problem = ctx.lib.leastSquares(ctx.la, A, y, options);
  A.free();
  y.free();
  return problem;
}

const SIZES: [number, number, number, number][] = [
  // seed, n, d, k*
  [1, 37, 23, 4],
  [2, 61, 29, 5],
  [3, 50, 17, 3],
];

function kihtMatchesTextbook(ctx: CaseContext): void {
  for (const [seed, n, d, kStar] of SIZES) {
    const inst = instance(seed, n, d, kStar);
    const k = kStar + 3;
    const problem = problemOf(ctx, inst);
    try {
      const L = Math.max(...jacobiEigenvalues(gram(inst.A, n, d), d));
      let x = new Array<number>(d).fill(0);
      const seen: number[][] = [];
      const res = ctx.lib.recover(ctx.la, problem, { k, method: 'kiht', steps: 40, onIteration: (_t, xt) => void seen.push(Array.from(xt)) });
      // The default step is 1/λ_max(AᵀA) by power iteration.
      expectClose(`seed ${seed}: eta = 1/L`, [res.eta], [1 / L], 1e-6, 1 / L);
      check(seen.length === 40 && res.iterations === 40, () => `seed ${seed}: ${seen.length} iterates, ${res.iterations} iterations`);
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

function newtonStepRecovers(ctx: CaseContext): void {
  for (const [seed, n, d, kStar] of SIZES) {
    const inst = instance(seed + 10, n, d, kStar);
    const problem = problemOf(ctx, inst);
    try {
      for (const method of ['topk-iobs', 'iobs'] as const) {
        const res = ctx.lib.recover(ctx.la, problem, { k: kStar + 2, method, steps: 1 });
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

function float32Recovers(ctx: CaseContext): void {
  const inst = instance(21, 45, 19, 4);
  const problem = problemOf(ctx, inst, 'float32');
  try {
    check(problem.dtype === 'float32', () => `dtype ${problem.dtype}`);
    const res = ctx.lib.recover(ctx.la, problem, { k: 6, method: 'topk-iobs', steps: 3 });
    const e = relErr(res.x, inst.theta);
    check(e <= 1e-4, () => `float32 Top-k I-OBS relative error ${e}`);
  } finally {
    problem.free();
  }
}

/** The I-OBS iterate from x0 with step eta: optimal on its support, support chosen by OBS. */
function iobsOptimalOnSupport(ctx: CaseContext): void {
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
    const problem = problemOf(ctx, inst);
    try {
      for (const selection of ['greedy', 'oneshot'] as const) {
        const { x } = ctx.lib.recover(ctx.la, problem, { k, method: 'iobs', steps: 1, eta, x0, selection });
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

function neverMoreThanK(ctx: CaseContext): void {
  // Overdetermined, and underdetermined (n < d: AᵀA singular, so H is damped).
  for (const [seed, n, d, kStar] of [[4, 41, 19, 3], [5, 13, 31, 3]]) {
    const inst = instance(seed, n, d, kStar);
    const problem = problemOf(ctx, inst);
    try {
      if (n < d) check(problem.dampUsed !== null && problem.dampUsed > 0, () => `n < d: dampUsed ${problem.dampUsed}`);
      else check(problem.dampUsed === null, () => `n > d: dampUsed ${problem.dampUsed}`);
      const x0 = new Rng(seed).normals(d);
      for (const method of ['kiht', 'topk-iobs', 'iobs'] as const) {
        for (const k of [1, kStar + 2, d - 1]) {
          let calls = 0;
          const res = ctx.lib.recover(ctx.la, problem, {
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
          check(h.objective.every(Number.isFinite) && h.stepSize.every((s) => s >= 0), () => 'history values');
        }
      }
    } finally {
      problem.free();
    }
  }
}

/** hessian/quadratic, hvp and fisher problems on AᵀA give the iterates of leastSquares. */
function problemsAgree(ctx: CaseContext): void {
  const { lib, la } = ctx;
  const inst = instance(31, 43, 21, 4);
  const { n, d } = inst;
  const H = gram(inst.A, n, d);
  const gradient = (t: Float64Array) => lsGradient(inst, t);
  const Hm = la.fromArray(H, d, d, 'float64');
  const G = la.fromArray(inst.A.map((v) => v * Math.sqrt(n)), n, d, 'float64');
  const problems = {
    leastSquares: problemOf(ctx, inst),
    hessian: lib.hessianProblem(la, { d, gradient, hessian: Hm }),
    quadratic: lib.quadraticProblem(la, { d, gradient, hessian: Hm }),
    hvp: lib.hvpProblem(la, { d, gradient, hvp: (v) => matvec(H, v, d, d) }),
    fisher: lib.fisherProblem(la, { d, gradient, sampleGradients: G, damp: 0 }),
  };
  Hm.free();
  G.free();
  try {
    const yy = 0.5 * inst.y.reduce((s, v) => s + v * v, 0);
    const L = problems.leastSquares.lipschitz();
    for (const [name, p] of Object.entries(problems)) {
      expectClose(`${name} λ_max`, [p.lipschitz()], [L], 1e-6, L);
    }
    for (const method of ['kiht', 'topk-iobs', 'iobs'] as const) {
      const x0 = new Rng(7).normals(d);
      const opts = { k: 6, method, steps: 6, x0, eta: method === 'kiht' ? 1 / L : 0.9 };
      const want = lib.recover(la, problems.leastSquares, opts);
      for (const [name, p] of Object.entries(problems)) {
        const got = lib.recover(la, p, opts);
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

/** gradientScale 'paper': the first Top-k I-OBS step from 0 with η = 1 lands on T_k((2/n)θ*). */
function paperScale(ctx: CaseContext): void {
  const inst = instance(41, 39, 15, 3);
  const problem = problemOf(ctx, inst);
  try {
    const res = ctx.lib.recover(ctx.la, problem, { k: 5, method: 'topk-iobs', steps: 1, gradientScale: 'paper' });
    expectClose('paper-scaled Newton step', res.x, hardThreshold(inst.theta.map((v) => (2 / inst.n) * v), 5), 1e-10, 1);
    const exact = ctx.lib.recover(ctx.la, problem, { k: 5, method: 'topk-iobs', steps: 1, gradientScale: 'exact' });
    expectClose('exact Newton step', exact.x, inst.theta, 1e-10, 1);
  } finally {
    problem.free();
  }
}

function stopping(ctx: CaseContext): void {
  const inst = instance(51, 40, 18, 3);
  const problem = problemOf(ctx, inst);
  try {
    // From θ* onwards Top-k I-OBS with η = 1 stays put: the second step changes nothing.
    const res = ctx.lib.recover(ctx.la, problem, { k: 4, method: 'topk-iobs', steps: 50, tol: 1e-12 });
    check(res.converged && res.iterations === 2, () => `tol: converged ${res.converged} after ${res.iterations}`);
    const stopped = ctx.lib.recover(ctx.la, problem, { k: 4, method: 'kiht', steps: 50, onIteration: (t) => t < 3 });
    check(stopped.iterations === 3 && !stopped.converged, () => `onIteration false: ${stopped.iterations} iterations`);
    const none = ctx.lib.recover(ctx.la, problem, { k: 4, method: 'iobs', steps: 0 });
    check(none.iterations === 0 && none.x.every((v) => v === 0), () => 'steps 0');
    // A step 1000× too long diverges; the error names eta instead of returning NaN.
    expectThrow(() => ctx.lib.recover(ctx.la, problem, { k: 4, method: 'kiht', steps: 400, eta: 1000 / problem.lipschitz() }), /recover: argument options\.eta .*diverge/);
  } finally {
    problem.free();
  }
}

function optionErrors(ctx: CaseContext): void {
  const { lib, la } = ctx;
  const inst = instance(61, 20, 9, 2);
  const problem = problemOf(ctx, inst);
  const rec = (o: object) => () => lib.recover(la, problem, o as never);
  try {
    expectThrow(rec({ k: 0, method: 'kiht' }), /recover: argument options\.k .*got 0/);
    expectThrow(rec({ k: 10, method: 'kiht' }), /options\.k .*\[1, 9\].*got 10/);
    expectThrow(rec({ k: 2.5, method: 'kiht' }), /options\.k .*integer.*2\.5/);
    expectThrow(rec({ k: 2, method: 'newton' }), /options\.method .*'kiht'.*got "newton"/);
    expectThrow(rec({ k: 2 }), /options\.method/);
    expectThrow(rec({ k: 2, method: 'kiht', steps: -1 }), /options\.steps .*got -1/);
    expectThrow(rec({ k: 2, method: 'kiht', eta: 0 }), /options\.eta .*> 0.*got 0/);
    expectThrow(rec({ k: 2, method: 'kiht', eta: NaN }), /options\.eta .*got NaN/);
    expectThrow(rec({ k: 2, method: 'kiht', tol: -1 }), /options\.tol .*got -1/);
    expectThrow(rec({ k: 2, method: 'iobs', selection: 'best' }), /options\.selection .*got "best"/);
    expectThrow(rec({ k: 2, method: 'iobs', gradientScale: 'half' }), /options\.gradientScale .*got "half"/);
    expectThrow(rec({ k: 2, method: 'iobs', x0: [1, 2] }), /options\.x0 .*length d = 9.*got "length 2"/);
    expectThrow(rec({ k: 2, method: 'iobs', x0: [1, 2, 3, 4, 5, 6, 7, 8, NaN] }), /options\.x0 .*NaN at index 8/);
    expectThrow(rec({ k: 2, method: 'iobs', onIteration: 3 }), /options\.onIteration .*got 3/);
    expectThrow(() => lib.recover(la, {} as never, { k: 1, method: 'kiht' }), /recover: argument problem .*RecoveryProblem/);
    expectThrow(() => lib.recover(la, problem, undefined as never), /recover: argument options/);

    const A = la.fromArray(inst.A, 20, 9, 'float64'), y = la.fromArray(inst.y, 20, 1, 'float64');
    const y2 = la.fromArray(inst.y.slice(0, 19), 19, 1, 'float64');
    const bad = la.fromArray(inst.A.map((v, i) => (i === 13 ? Infinity : v)), 20, 9, 'float64');
    try {
      expectThrow(() => lib.leastSquares(la, A, y2), /leastSquares: argument y .*20 x 1.*got 19x1 float64 matrix/);
      expectThrow(() => lib.leastSquares(la, bad, y), /leastSquares: argument A .*finite.*Infinity at \(1, 4\)/);
      expectThrow(() => lib.leastSquares(la, [1, 2] as never, y), /leastSquares: argument A must be a Matrix/);
      expectThrow(() => lib.leastSquares(la, A, y, { damp: -1 }), /leastSquares: argument options\.damp .*got -1/);
      const H = lib.hessianProblem(la, { d: 9, hessian: la.fromArray(gram(inst.A, 20, 9), 9, 9, 'float64'), gradient: (t) => lsGradient(inst, t) });
      try {
        expectThrow(() => lib.recover(la, H, { k: 2, method: 'kiht', gradientScale: 'paper' }), /options\.gradientScale .*leastSquares.*got "paper"/);
      } finally {
        H.free();
      }
      // A singular Hessian with damp 0 given explicitly is refused, naming damp.
      const under = instance(62, 5, 9, 2);
      const Au = la.fromArray(under.A, 5, 9, 'float64'), yu = la.fromArray(under.y, 5, 1, 'float64');
      expectThrow(() => lib.leastSquares(la, Au, yu, { damp: 0 }), /leastSquares: argument options\.damp .*positive definite.*got 0/);
      const gradient = (t: Float64Array) => lsGradient(inst, t);
      expectThrow(() => lib.fisherProblem(la, { d: 9, gradient, sampleGradients: A } as never), /fisherProblem: argument spec\.damp/);
      expectThrow(() => lib.fisherProblem(la, { d: 8, gradient, sampleGradients: A, damp: 1 }), /fisherProblem: argument spec\.sampleGradients .*m x 8.*got 20x9/);
      expectThrow(() => lib.hvpProblem(la, { d: 9, gradient } as never), /hvpProblem: argument spec\.hvp .*function/);
      expectThrow(() => lib.hvpProblem(la, { d: 0, gradient, hvp: (v) => v }), /hvpProblem: argument spec\.d .*got 0/);
      const short = lib.hvpProblem(la, { d: 9, gradient: () => [1, 2], hvp: (v) => v });
      expectThrow(() => lib.recover(la, short, { k: 2, method: 'kiht' }), /hvpProblem: argument spec\.gradient .*9 numbers/);
      const nanH = lib.hvpProblem(la, { d: 9, gradient, hvp: (v) => Array.from(v, () => NaN) });
      expectThrow(() => lib.recover(la, nanH, { k: 2, method: 'topk-iobs' }), /hvpProblem: argument spec\.hvp .*finite.*NaN at index 0/);
      Au.free();
      yu.free();
    } finally {
      [A, y, y2, bad].forEach((M) => M.free());
    }
  } finally {
    problem.free();
  }
}

export function recoveryCases(): Case[] {
  return [
    { name: 'recover: k-IHT iterates equal the textbook loop (eta = 1/λmax)', run: kihtMatchesTextbook },
    { name: 'recover: one Newton step (η = 1) recovers θ* to 1e-8 on overdetermined A', run: newtonStepRecovers },
    { name: 'recover: float32 least squares', run: float32Recovers },
    { name: 'recover: I-OBS weights optimal on their OBS-chosen support (greedy, oneshot)', run: iobsOptimalOnSupport },
    { name: 'recover: no iterate exceeds k nonzeros; damping only when n < d', run: neverMoreThanK },
    { name: 'recover: hessian, quadratic, hvp and fisher problems agree with leastSquares', run: problemsAgree },
    { name: "recover: gradientScale 'paper' scales the Newton step by 2/n", run: paperScale },
    { name: 'recover: tol, onIteration stop, steps 0, divergence names eta', run: stopping },
    { name: 'recover: option and argument errors', run: optionErrors },
  ];
}
