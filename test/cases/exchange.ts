// The exchange kernels of I-OBS's reselection (obsExchange, obsExchangeAllocate), every backend
// held to float64 arithmetic written here (each row's objective on a support by a Gauss–Jordan
// solve), independent of the code under test:
// - obsExchange keeps every row's count (and every N:M group's), never raises a row's objective,
//   reports its swaps, and leaves no single swap that lowers the objective (brute force over all
//   pairs, within groups for N:M) unless it stopped at maxSwaps; each recorded addition and removal
//   is the best single step from the state before it, with the exact change of the objective;
//   rows not in todo are not touched; the result equals the reference backend's;
// - obsExchangeAllocate equals a plain oracle of the greedy pairing (masks, counts and `changed`
//   exactly), every exchange has gain > cost, and indices outside the columns are no candidates;
// - bad arguments are errors naming them.
// Odd sizes, several seeds; everything goes through la.write / la.read (strict backend too).
import { type Case, type CaseContext, check, expectClose, expectReject } from './harness.js';
import { invert } from './downdate.js';
import { Rng } from './random.js';

type La = CaseContext['la'];

/** Correlated SPD H = XᵀX/n + 0.01·mean(diag)·I from inputs that mix neighbours (as real layers do). */
function hessian(rng: Rng, c: number): Float64Array {
  const n = 2 * c + 7, z = rng.normals(n * c);
  const x = new Float64Array(n * c);
  for (let s = 0; s < n; s++) for (let j = 0; j < c; j++) {
    let v = z[s * c + j];
    for (let t = 1; t <= 2; t++) v += 0.7 * z[s * c + ((j + t) % c)];
    x[s * c + j] = v;
  }
  const h = new Float64Array(c * c);
  for (let i = 0; i < c; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let p = 0; p < n; p++) s += x[p * c + i] * x[p * c + j];
    h[i * c + j] = h[j * c + i] = s / n;
  }
  let mean = 0;
  for (let i = 0; i < c; i++) mean += h[i * c + i] / c;
  for (let i = 0; i < c; i++) h[i * c + i] += 0.01 * mean;
  return h;
}

/** min over x on S of (x − w)ᵀH(x − w), given b = H w and wᵀHw, by Gauss–Jordan on H[S,S]. */
function rowLoss(h: Float64Array, c: number, b: ArrayLike<number>, whw: number, S: number[]): number {
  const k = S.length;
  if (k === 0) return whw;
  const A: number[] = [];
  for (const i of S) for (const j of S) A.push(h[i * c + j]);
  const inv = invert(A, k);
  let e = 0;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) e += b[S[i]] * inv[i * k + j] * b[S[j]];
  return whw - e;
}

function supportOf(mask: ArrayLike<number>, r: number, c: number): number[] {
  const S: number[] = [];
  for (let j = 0; j < c; j++) if (mask[r * c + j]) S.push(j);
  return S;
}

/** A mask keeping `keep` of every row (or n of every group of m), chosen at random. */
function randomMask(rng: Rng, rows: number, c: number, keep: number, m: number, n: number): Uint8Array {
  const mask = new Uint8Array(rows * c);
  for (let r = 0; r < rows; r++) {
    const groups = m > 0 ? c / m : 1, size = m > 0 ? m : c, want = m > 0 ? n : keep;
    for (let g = 0; g < groups; g++) {
      const idx = Array.from({ length: size }, (_, i) => g * size + i);
      for (let i = idx.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [idx[i], idx[j]] = [idx[j], idx[i]];
      }
      for (const j of idx.slice(0, want)) mask[r * c + j] = 1;
    }
  }
  return mask;
}

function exchangeCase(rows: number, c: number, keep: number, m: number, n: number, steps: number, seed: number, maxSwaps?: number): Case {
  const name = `obsExchange ${rows}x${c} ${m > 0 ? `${n}:${m}` : `keep ${keep}`}${steps ? ` steps ${steps}` : ''}${maxSwaps !== undefined ? ` maxSwaps ${maxSwaps}` : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la, ref }) {
      const rng = new Rng(seed);
      const h = hessian(rng, c);
      const w = rng.normals(rows * c);
      const b = new Float64Array(rows * c), whw = new Float64Array(rows);
      for (let r = 0; r < rows; r++) for (let i = 0; i < c; i++) {
        let s = 0;
        for (let j = 0; j < c; j++) s += h[i * c + j] * w[r * c + j];
        b[r * c + i] = s;
        whw[r] += w[r * c + i] * s;
      }
      const start = randomMask(rng, rows, c, keep, m, n);
      const todo = Int32Array.from({ length: rows }, (_, r) => (r === 1 ? 0 : 1)); // row 1 is left alone
      const run = async (lib: La) => {
        const H = lib.fromArray(h, c, c, 'float64'), B = lib.fromArray(b, rows, c, 'float64');
        const M = lib.fromArray(start, rows, c, 'uint8'), T = lib.fromArray(todo, rows, 1, 'int32');
        const sw = lib.matrix(rows, 1, 'int32');
        const t = steps > 0 ? {
          addGain: lib.matrix(rows, steps, 'float64'), addIndex: lib.matrix(rows, steps, 'int32'),
          removeCost: lib.matrix(rows, steps, 'float64'), removeIndex: lib.matrix(rows, steps, 'int32'),
        } : null;
        const info = await lib.obsExchange(H, B, M, T, { groupSize: m, maxSwaps, swaps: sw, trajectories: t });
        const out = {
          info, mask: await lib.read(M), swaps: await lib.read(sw),
          t: t && { ag: await lib.read(t.addGain), ai: await lib.read(t.addIndex), rc: await lib.read(t.removeCost), ri: await lib.read(t.removeIndex) },
        };
        for (const X of [H, B, M, T, sw, ...(t ? Object.values(t) : [])]) X.free();
        return out;
      };
      const got = await run(la);
      check(got.info === -1, () => `${name}: returned ${got.info}`);
      const cap = maxSwaps ?? c;
      for (let r = 0; r < rows; r++) {
        const bRow = b.subarray(r * c, (r + 1) * c);
        const S0 = supportOf(start, r, c), S = supportOf(got.mask, r, c);
        if (!todo[r]) {
          check(S.join() === S0.join(), () => `${name}: row ${r} not in todo was changed`);
          continue;
        }
        check(S.length === S0.length, () => `${name}: row ${r} kept ${S.length}, started with ${S0.length}`);
        if (m > 0) for (let g = 0; g < c / m; g++) {
          const cnt = S.filter((j) => Math.floor(j / m) === g).length;
          check(cnt === n, () => `${name}: row ${r} group ${g} keeps ${cnt}`);
        }
        const f0 = rowLoss(h, c, bRow, whw[r], S0), f = rowLoss(h, c, bRow, whw[r], S);
        check(f <= f0 * (1 + 1e-12) + 1e-12 * whw[r], () => `${name}: row ${r} objective rose from ${f0} to ${f}`);
        const moved = S.filter((j) => !S0.includes(j)).length;
        check(got.swaps[r] >= moved && got.swaps[r] <= cap && (moved > 0 || got.swaps[r] === 0 || f < f0), () => `${name}: row ${r} reports ${got.swaps[r]} swaps, ${moved} weights moved`);
        if (got.swaps[r] < cap) {
          // A local optimum: no single swap lowers f by more than a sliver of wᵀHw.
          const P = Array.from({ length: c }, (_, j) => j).filter((j) => !S.includes(j));
          for (const a of S) for (const i of P) {
            if (m > 0 && Math.floor(a / m) !== Math.floor(i / m)) continue;
            const f2 = rowLoss(h, c, bRow, whw[r], [...S.filter((j) => j !== a), i]);
            check(f2 >= f - 1e-9 * whw[r], () => `${name}: row ${r} swap ${a} → ${i} lowers f from ${f} to ${f2}`);
          }
        }
        if (got.t) {
          // Each step the best single addition (removal) from the state before it, priced exactly.
          let cur = S.slice(), fc = f;
          for (let s = 0; s < steps; s++) {
            const col = got.t.ai[r * steps + s], gain = got.t.ag[r * steps + s];
            const P = Array.from({ length: c }, (_, j) => j).filter((j) => !cur.includes(j));
            if (P.length === 0) {
              check(col === -1 && gain === 0, () => `${name}: row ${r} addition ${s} with nothing left: ${col}, ${gain}`);
              continue;
            }
            const options = P.map((j) => fc - rowLoss(h, c, bRow, whw[r], [...cur, j]));
            const best = Math.max(...options);
            check(P.includes(col), () => `${name}: row ${r} addition ${s} names column ${col}`);
            const mine = options[P.indexOf(col)];
            check(mine >= best - 1e-9 * whw[r], () => `${name}: row ${r} addition ${s} gains ${mine}, the best gains ${best}`);
            expectClose(`${name}: row ${r} addition ${s} gain`, [gain], [mine], 1e-7, whw[r]);
            cur = [...cur, col];
            fc -= mine;
          }
          cur = S.slice();
          fc = f;
          for (let s = 0; s < steps; s++) {
            const col = got.t.ri[r * steps + s], cost = got.t.rc[r * steps + s];
            if (cur.length === 0) {
              check(col === -1 && cost === Infinity, () => `${name}: row ${r} removal ${s} with nothing left: ${col}, ${cost}`);
              continue;
            }
            const options = cur.map((j) => rowLoss(h, c, bRow, whw[r], cur.filter((i) => i !== j)) - fc);
            const least = Math.min(...options);
            check(cur.includes(col), () => `${name}: row ${r} removal ${s} names column ${col}`);
            const mine = options[cur.indexOf(col)];
            check(mine <= least + 1e-9 * whw[r], () => `${name}: row ${r} removal ${s} costs ${mine}, the least costs ${least}`);
            expectClose(`${name}: row ${r} removal ${s} cost`, [cost], [mine], 1e-7, whw[r]);
            cur = cur.filter((i) => i !== col);
            fc += mine;
          }
        }
      }
      const want = await run(ref);
      check(Array.from(got.mask).join() === Array.from(want.mask).join(), () => `${name}: mask differs from the reference backend's`);
      check(Array.from(got.swaps).join() === Array.from(want.swaps).join(), () => `${name}: swaps ${got.swaps} vs reference ${want.swaps}`);
      if (got.t && want.t) {
        check(Array.from(got.t.ai).join() === Array.from(want.t.ai).join() && Array.from(got.t.ri).join() === Array.from(want.t.ri).join(), () => `${name}: trajectories differ from the reference backend's`);
      }
    },
  };
}

/** The greedy pairing written plainly: best gain against least cost in another row, modes kept. */
function allocateOracle(rows: number, c: number, steps: number, ag: number[], ai: number[], rc: number[], ri: number[], mask: Uint8Array): { mask: Uint8Array; changed: Int32Array; count: number } {
  const out = Uint8Array.from(mask), changed = new Int32Array(rows);
  let count = 0;
  const ok = (i: number) => i >= 0 && i < c;
  for (;;) {
    let best: [number, number, number] | null = null; // gain − cost, add row, remove row
    for (let a = 0; a < rows; a++) {
      const qa = changed[a];
      if (qa < 0 || qa >= steps || !ok(ai[a * steps + qa])) continue;
      for (let r = 0; r < rows; r++) {
        const qr = -changed[r];
        if (r === a || qr < 0 || qr >= steps || !ok(ri[r * steps + qr])) continue;
        const d = ag[a * steps + qa] - rc[r * steps + qr];
        if (!(d > 1e-12 * ag[a * steps + qa])) continue;
        if (best === null || d > best[0]) best = [d, a, r];
      }
    }
    if (!best) break;
    const [, a, r] = best, qa = changed[a], qr = -changed[r];
    out[a * c + ai[a * steps + qa]] = 1;
    out[r * c + ri[r * steps + qr]] = 0;
    changed[a] = qa + 1;
    changed[r] = -(qr + 1);
    count++;
  }
  return { mask: out, changed, count };
}

function allocateCase(rows: number, c: number, steps: number, seed: number): Case {
  const name = `obsExchangeAllocate ${rows}x${c} steps ${steps} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la }) {
      const rng = new Rng(seed);
      const mask = randomMask(rng, rows, c, Math.floor(c / 2), 0, 0);
      const ag: number[] = [], ai: number[] = [], rc: number[] = [], ri: number[] = [];
      for (let r = 0; r < rows; r++) {
        // Distinct values (no ties), gains falling and costs rising as greedy trajectories do.
        const S = supportOf(mask, r, c), P = Array.from({ length: c }, (_, j) => j).filter((j) => !S.includes(j));
        let g = 1 + rng.uniform() * 3, v = rng.uniform() * 2;
        for (let s = 0; s < steps; s++) {
          g *= 0.5 + 0.4 * rng.uniform();
          v += 0.3 * rng.uniform() + 1e-6;
          ag.push(g);
          ai.push(s < P.length ? P[s] : -1);
          rc.push(s < S.length ? v : Infinity);
          ri.push(s < S.length ? S[s] : -1);
        }
      }
      // A row whose indices are out of range: never a candidate.
      for (let s = 0; s < steps; s++) (ai[s] = c + s), (ri[s] = -5), (ag[s] = 100);
      const t = {
        addGain: la.fromArray(ag, rows, steps, 'float64'), addIndex: la.fromArray(ai, rows, steps, 'int32'),
        removeCost: la.fromArray(rc, rows, steps, 'float64'), removeIndex: la.fromArray(ri, rows, steps, 'int32'),
      };
      const M = la.fromArray(mask, rows, c, 'uint8'), ch = la.matrix(rows, 1, 'int32');
      const count = await la.obsExchangeAllocate(t, M, ch);
      const want = allocateOracle(rows, c, steps, ag, ai, rc, ri, mask);
      const gotMask = await la.read(M), changed = await la.read(ch);
      check(count === want.count && count > 0, () => `${name}: ${count} exchanges, the oracle ${want.count}`);
      check(Array.from(gotMask).join() === Array.from(want.mask).join(), () => `${name}: mask differs from the oracle's`);
      check(Array.from(changed).join() === Array.from(want.changed).join(), () => `${name}: changed ${changed} vs ${want.changed}`);
      check(changed[0] === 0, () => `${name}: the row with out-of-range indices took part (${changed[0]})`);
      const kept = (x: ArrayLike<number>) => Array.from(x).reduce((s, v) => s + v, 0);
      check(kept(gotMask) === kept(mask), () => `${name}: kept ${kept(gotMask)}, started with ${kept(mask)}`);
      for (const X of [...Object.values(t), M, ch]) X.free();
    },
  };
}

function errorsCase(): Case {
  return {
    name: 'obsExchange / obsExchangeAllocate: bad arguments are errors naming them',
    deviceNeutral: true,
    async run({ la }) {
      const H = la.fromArray(hessian(new Rng(3), 4), 4, 4, 'float64'), B = la.matrix(2, 4, 'float64');
      const M = la.fromArray([1, 1, 0, 0, 0, 1, 1, 0], 2, 4, 'uint8'), T = la.matrix(2, 1, 'int32'), sw = la.matrix(2, 1, 'int32');
      const H32 = la.matrix(4, 4, 'float32');
      const t = { addGain: la.matrix(2, 3, 'float64'), addIndex: la.matrix(2, 3, 'int32'), removeCost: la.matrix(2, 3, 'float64'), removeIndex: la.matrix(2, 2, 'int32') };
      await expectReject(() => la.obsExchange(H32 as never, B, M, T, { swaps: sw }), /^obsExchange: argument H must be a float64 matrix/);
      await expectReject(() => la.obsExchange(H, B, M, T, { swaps: sw, groupSize: 3 }), /^obsExchange: argument options\.groupSize must be a divisor of the 4 columns; got 3/);
      await expectReject(() => la.obsExchange(H, B, M, la.matrix(3, 1, 'int32'), { swaps: sw }), /^obsExchange: argument todo must be a vector of 2 elements/);
      await expectReject(() => la.obsExchange(H, B, M, T, { swaps: sw, trajectories: t }), /^obsExchange: argument options\.trajectories\.removeIndex must be 2x3/);
      const t2 = { ...t, removeIndex: la.matrix(2, 3, 'int32') };
      await expectReject(() => la.obsExchange(H, B, M, T, { swaps: sw, groupSize: 2, trajectories: t2 }), /^obsExchange: argument options\.trajectories .*null with groupSize > 0/);
      await expectReject(() => la.obsExchangeAllocate(t2, M, la.matrix(2, 1, 'float64') as never), /^obsExchangeAllocate: argument changed must be/);
      for (const X of [H, B, M, T, sw, H32, ...Object.values(t), t2.removeIndex]) X.free();
    },
  };
}

export function exchangeCases(): Case[] {
  const cases: Case[] = [];
  let seed = 7300;
  for (const [rows, c] of [[3, 7], [4, 12], [2, 17]]) {
    cases.push(exchangeCase(rows, c, Math.floor(c / 2), 0, 0, 0, seed++));
    cases.push(exchangeCase(rows, c, Math.ceil(c / 3), 0, 0, 4, seed++));
    cases.push(exchangeCase(rows, c, 1, 0, 0, 3, seed++)); // one kept: removals run out
  }
  cases.push(exchangeCase(3, 12, 0, 4, 2, 0, seed++));
  cases.push(exchangeCase(2, 16, 0, 8, 3, 0, seed++));
  cases.push(exchangeCase(3, 9, 4, 0, 0, 0, seed++, 1)); // stops at the cap
  cases.push(exchangeCase(2, 5, 4, 0, 0, 3, seed++)); // one pruned: additions run out
  for (const [rows, c, steps] of [[5, 9, 4], [12, 20, 6], [3, 6, 8]]) cases.push(allocateCase(rows, c, steps, seed++));
  cases.push(errorsCase());
  return cases;
}
