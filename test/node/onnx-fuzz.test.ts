// Fuzzing the ONNX reader (src/models/onnx/reader.ts) with fast-check (fixed seeds, so CI is
// reproducible).
//
// Cases per property (11,100 in all):
//   arbitrary byte strings, 0–300 bytes ............................. 2,500
//   arbitrary byte strings, 300–20,000 bytes .......................... 300
//   protobuf-shaped noise (random fields, wire types, nesting) ........ 1,500
//   structured ModelProtos (coherent graphs plus faults) .............. 4,000
//   deeply nested subgraphs and types (1 to 4,000 levels) ............... 200
//   the real mnist-cnn.onnx: byte flips ................................. 500
//   the real mnist-cnn.onnx: truncations ................................ 400
//   the real mnist-cnn.onnx: inserted and deleted bytes ................. 300
//   the real mnist-cnn.onnx: edited varint lengths ...................... 300
//   the real mnist-cnn.onnx: edited initializers ........................ 300
//   the real mnist-cnn.onnx: edited nodes ............................... 300
//   pruneOnnx's checks before any work, on edited and flipped real files .. 400
//
// The property, for every case: decodeOnnxModel, then onnxInitializers, onnxGraphIO, onnxLayers and
// onnxSkippedLayers, layerWeight of every layer (convGeometry and im2colGeometry at 28x28 for a
// Conv), readInitializer of every initializer, and withLayerWeight → encodeOnnxModel →
// decodeOnnxModel → layerWeight of a layer whose weight was read: each step either succeeds or
// throws the library's own ArgumentRangeError / ArgumentTypeError (decoding failures among them,
// naming the file), never any other exception; no case takes CASE_LIMIT_MS; every typed array the
// reader returns holds no more bytes than the input has (so nothing was allocated from dims alone),
// and holds exactly as many values as its shape (or the layer's rows x cols) says; a round trip
// gives back the weight that was written. For pruneOnnx: it refuses with the library's own error
// before any work (options.batchSize 0 stops it at the last check), and a model that passes its
// checks of the model has every layer weight readable. The case counts, what became of them, and
// the slowest case are printed.
import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { ArgumentRangeError, ArgumentTypeError } from '../../src/core/errors.js';
import { init } from '../../src/init.js';
import { im2colGeometry } from '../../src/linalg/im2col.js';
import { pruneOnnx } from '../../src/models/onnx/prune.js';
import {
  convGeometry, decodeOnnxModel, encodeOnnxModel, layerWeight, onnxGraphIO, onnxInitializers, onnxLayers, onnxSkippedLayers, readInitializer,
  withLayerWeight, type OnnxModel,
} from '../../src/models/onnx/reader.js';
import { magnitude } from '../../src/pruning/magnitude.js';
import { NO_SHARED_DATA, SHARED_DATA, sharedData } from './shared-data.js';

/**
 * CPU milliseconds a case may take: a hang is caught well under a second (a case normally takes
 * well under 10 ms; a full read and round trip of the real file some 50 ms).
 */
const CASE_LIMIT_MS = 1_000;
const NAME = 'fuzz.onnx';

type Outcome = 'read in full' | 'partly refused' | 'refused at decode';

/** Stats for one property: outcomes, how deep the cases went, and the slowest case. */
class Tally {
  cases = 0;
  slowest = 0;
  outcomes = new Map<Outcome, number>();
  weights = 0;
  roundTrips = 0;
  add(r: Result, ms: number) {
    this.cases++;
    this.slowest = Math.max(this.slowest, ms);
    this.outcomes.set(r.outcome, (this.outcomes.get(r.outcome) ?? 0) + 1);
    this.weights += r.weights;
    this.roundTrips += r.roundTrips;
  }
  print(what: string) {
    const parts = [...this.outcomes].map(([o, n]) => `${o}: ${n}`).join(', ');
    console.log(`onnx fuzz, ${what}: ${this.cases} cases (${parts}); ${this.weights} layer weights read, ${this.roundTrips} round trips; slowest ${this.slowest.toFixed(1)} ms`);
  }
}

interface Result {
  outcome: Outcome;
  weights: number;
  roundTrips: number;
}

const isOurs = (e: unknown) => e instanceof ArgumentRangeError || e instanceof ArgumentTypeError;

/** A property failure that says which step threw what. */
function foreign(step: string, err: unknown): Error {
  const e = err as Error;
  return new Error(`${step} threw ${e?.name ?? typeof err}: ${e?.message ?? String(err)}`, { cause: err });
}

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const finite = (a: ArrayLike<number>) => Float64Array.from(a, (v) => (Number.isFinite(v) ? v : 0));

/**
 * Runs the whole read path on `bytes`; returns what became of it or throws a property failure.
 * `roundTrip` picks the layer (index modulo the layers whose weight was read) that goes through
 * withLayerWeight and back; null skips the round trip (it copies the whole model, slow on the real file).
 */
function exercise(bytes: Uint8Array, roundTrip: number | null = 0): Result {
  const r: Result = { outcome: 'read in full', weights: 0, roundTrips: 0 };
  let model: OnnxModel;
  try {
    model = decodeOnnxModel(bytes, NAME);
  } catch (err) {
    if (!isOurs(err)) throw foreign('decodeOnnxModel', err);
    // A decoding failure is wrapped, naming the file.
    expect((err as Error).message).toMatch(/^decodeOnnxModel: argument fuzz\.onnx must be an ONNX model/);
    return { ...r, outcome: 'refused at decode' };
  }
  const step = <T>(what: string, f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      if (!isOurs(err)) throw foreign(what, err);
      r.outcome = 'partly refused';
      return undefined;
    }
  };
  const bounded = (what: string, a: ArrayLike<number> & { byteLength: number }, count: number) => {
    if (a.byteLength > bytes.length) throw new Error(`${what}: ${a.byteLength} bytes returned from a ${bytes.length}-byte model`);
    if (a.length !== count) throw new Error(`${what}: ${a.length} values, expected ${count}`);
  };

  const infos = step('onnxInitializers', () => onnxInitializers(model)) ?? [];
  step('onnxGraphIO', () => onnxGraphIO(model));
  const layers = step('onnxLayers', () => onnxLayers(model)) ?? [];
  step('onnxSkippedLayers', () => onnxSkippedLayers(model));
  const read: { layer: (typeof layers)[number]; W: ArrayLike<number> }[] = [];
  for (const layer of layers) {
    for (const k of ['rows', 'cols'] as const) {
      if (!Number.isSafeInteger(layer[k]) || layer[k] < 0) throw new Error(`layer ${layer.node}: ${k} = ${layer[k]}`);
    }
    const W = step(`layerWeight(${layer.node})`, () => layerWeight(model, layer));
    if (W) {
      bounded(`layerWeight(${layer.node})`, W, layer.rows * layer.cols);
      r.weights++;
      read.push({ layer, W });
    }
    if (layer.conv) {
      const g = step(`convGeometry(${layer.node})`, () => convGeometry(layer, 28, 28));
      if (g) step(`im2colGeometry(${layer.node})`, () => im2colGeometry(1, g));
    }
  }
  // Layer weights were read through layerWeight (which calls readInitializer); the rest here.
  const done = new Set(read.map((x) => x.layer.weight));
  for (const info of infos) {
    if (done.has(info.name)) continue;
    const t = step(`readInitializer(${info.name})`, () => readInitializer(model, info.name));
    if (t) bounded(`readInitializer(${info.name})`, t.data, product(t.shape));
  }
  if (roundTrip !== null && read.length > 0) {
    const { layer, W } = read[roundTrip % read.length];
    // Non-finite weights are refused by withLayerWeight, so write finite ones (and a change).
    const W2 = finite(W).map((v, i) => (i % 3 === 0 ? 0 : v));
    const edited = step(`withLayerWeight(${layer.node})`, () => withLayerWeight(model, layer, W2));
    if (!edited) throw new Error(`withLayerWeight(${layer.node}) refused a weight it had read`);
    const again = decodeOnnxModel(encodeOnnxModel(edited), 'round trip');
    const back = layerWeight(again, layer);
    const want = layer.dtype === 'float32' ? Float32Array.from(W2) : W2;
    if (back.length !== want.length || back.some((v, i) => v !== want[i])) throw new Error(`round trip of ${layer.node} changed its weight`);
    r.roundTrips++;
  }
  return r;
}

function run<T>(what: string, arb: fc.Arbitrary<T>, numRuns: number, seed: number, body: (x: T) => Result): Tally {
  const tally = new Tally();
  fc.assert(
    fc.property(arb, (x) => {
      const t0 = performance.now(), cpu0 = process.cpuUsage();
      const r = body(x);
      const ms = performance.now() - t0, cpu = process.cpuUsage(cpu0);
      // CPU time, not wall time: CI machines are shared, and a case starved of CPU is no hang.
      const cpuMs = (cpu.user + cpu.system) / 1000;
      if (cpuMs > CASE_LIMIT_MS) throw new Error(`case took ${cpuMs.toFixed(0)} ms of CPU (${ms.toFixed(0)} ms)`);
      tally.add(r, ms);
    }),
    { seed, numRuns },
  );
  tally.print(what);
  // fast-check shrinks after a failure, so the tally counts only passing runs: all of them here.
  expect(tally.cases).toBe(numRuns);
  return tally;
}

// ---------------------------------------------------------------------------------------------
// Protobuf at the wire level: varints, fields, splices.

const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** A varint of a non-negative integer below 2^64 (a bigint for the large ones). */
function varint(n: number | bigint): Uint8Array {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return Uint8Array.from(out);
}

/** One field of a message: where its tag, length (for wire type 2) and value lie. */
interface Field {
  no: number;
  wire: number;
  start: number;
  /** Where the length varint starts (wire type 2), else where the value starts. */
  lenAt: number;
  valueAt: number;
  end: number;
}

function readVarint(b: Uint8Array, at: number, end: number): [number, number] {
  let v = 0, scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at >= end) throw new Error('truncated varint');
    const byte = b[at++];
    v += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return [v, at];
  }
  throw new Error('varint too long');
}

/** The fields of the message in b[start, end) (the real file is well-formed). */
function fields(b: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let at = start;
  while (at < end) {
    const begin = at;
    const [tag, next] = readVarint(b, at, end);
    const no = Math.floor(tag / 8), wire = tag % 8;
    at = next;
    const lenAt = at;
    let valueAt = at;
    if (wire === 0) at = readVarint(b, at, end)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [len, v] = readVarint(b, at, end);
      valueAt = v;
      at = v + len;
    } else throw new Error(`wire type ${wire}`);
    out.push({ no, wire, start: begin, lenAt, valueAt, end: at });
  }
  return out;
}

/** The bytes of a length-delimited field `no` holding `body`. */
const lenField = (no: number, body: Uint8Array) => cat(varint(no * 8 + 2), varint(body.length), body);

// ---------------------------------------------------------------------------------------------
// Arbitrary bytes, and protobuf-shaped noise.

describe('onnx fuzz: arbitrary bytes', () => {
  it('arbitrary byte strings, short', () => {
    run('short byte strings', fc.uint8Array({ maxLength: 300 }), 2_500, 0x0a1, (b) => exercise(b));
  });

  it('arbitrary byte strings, long', () => {
    run('long byte strings', fc.uint8Array({ minLength: 300, maxLength: 20_000 }), 300, 0x0a2, (b) => exercise(b));
  });

  it('protobuf-shaped noise: random fields, wire types and nested messages', () => {
    // A message is a list of fields; a length-delimited field holds bytes, a nested message, or a
    // length that lies. Field numbers are mostly those ONNX uses, so decoding gets somewhere.
    type Msg = { no: number; kind: 'varint' | 'fixed64' | 'fixed32' | 'bytes' | 'msg' | 'badlen' | 'group'; v: bigint; body: Uint8Array; sub: Msg }[];
    const msgArb = (depth: number): fc.Arbitrary<Msg> => fc.array(
      fc.record({
        no: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 14 }) }, { weight: 1, arbitrary: fc.constantFrom(20, 21, 100, 536_870_911, 0) }),
        kind: fc.constantFrom('varint', 'fixed64', 'fixed32', 'bytes', 'msg', 'msg', 'msg', 'badlen', 'group'),
        v: fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
        body: fc.uint8Array({ maxLength: 24 }),
        sub: depth > 0 ? msgArb(depth - 1) : fc.constant([]),
      }),
      { maxLength: depth > 1 ? 4 : 6 },
    );
    const msg = msgArb(4);
    const encode = (m: Msg): Uint8Array => cat(...m.map((f) => {
      const tag = (w: number) => varint(f.no * 8 + w);
      switch (f.kind) {
        case 'varint': return cat(tag(0), varint(f.v));
        case 'fixed64': return cat(tag(1), new Uint8Array(8).fill(Number(f.v & 0xffn)));
        case 'fixed32': return cat(tag(5), new Uint8Array(4).fill(Number(f.v & 0xffn)));
        case 'bytes': return cat(tag(2), varint(f.body.length), f.body);
        case 'msg': return lenField(f.no, encode(f.sub));
        case 'badlen': return cat(tag(2), varint(f.v), f.body);
        case 'group': return cat(tag(3), encode(f.sub), tag(4));
      }
    }));
    // Most cases wrap the noise as a ModelProto's graph (field 7), after an ir_version.
    const arb = fc.tuple(msg, fc.integer({ min: 0, max: 3 }));
    run('protobuf-shaped noise', arb, 1_500, 0x0a3, ([m, wrap]) => exercise(wrap === 0 ? encode(m) : cat(Uint8Array.of(0x08, 0x07), lenField(7, encode(m)))));
  });
});

// ---------------------------------------------------------------------------------------------
// Structured ModelProtos: a coherent graph of layers, then faults applied to it.

const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

/** int64 values, from ordinary to absurd (strings are decimal int64s beyond 2^53). */
const int64Arb = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: -2, max: 6 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 2, 3, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53, -(2 ** 40)) },
  { weight: 1, arbitrary: fc.constantFrom('9223372036854775807', '-9223372036854775808', '4611686018427387904', '9007199254740993') },
);
/** The type of the values an arbitrary makes. */
type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

const dimsArb: fc.Arbitrary<(number | string)[]> = fc.oneof(
  { weight: 6, arbitrary: fc.array(int64Arb, { maxLength: 6 }) },
  // Products that overflow, or that are 0 beside a huge dim.
  { weight: 2, arbitrary: fc.constantFrom([2 ** 20, 2 ** 20, 2 ** 20, 2 ** 20], [2 ** 40, 2 ** 40], [0, 2 ** 40], [2 ** 40, 0], [2 ** 26, 2 ** 26], [1e6, 1e6, 1e6], [2 ** 40, 0, 3, 3], [0, 3, 2 ** 40, 1], [2 ** 53 - 1, 1], [2, -2]).map((d) => [...d]) },
);
const intsArb = fc.array(int64Arb, { maxLength: 5 });

const layerArb = fc.record({
  op: fc.constantFrom('Gemm', 'Gemm', 'MatMul', 'Conv', 'Conv'),
  out: fc.integer({ min: 1, max: 5 }),
  inn: fc.integer({ min: 1, max: 5 }),
  kh: fc.integer({ min: 1, max: 3 }),
  kw: fc.integer({ min: 1, max: 3 }),
  transB: fc.constantFrom(0, 1),
  dtype: fc.constantFrom(DT.FLOAT, DT.FLOAT, DT.DOUBLE),
  storage: fc.constantFrom('raw', 'raw', 'values'),
  attrs: fc.boolean(),
});

type Fault =
  | { kind: 'dims'; at: number; dims: (number | string)[] }
  | { kind: 'dataType'; at: number; code: number }
  | { kind: 'rawLength'; at: number; delta: number }
  | { kind: 'valuesLength'; at: number; delta: number }
  | { kind: 'bothStorages'; at: number }
  | { kind: 'external'; at: number; how: 'location' | 'entries' | 'both' }
  | { kind: 'nameInit'; at: number; name: string }
  | { kind: 'input'; at: number; how: 'drop' | 'empty' | 'other' | 'none' | 'noOutput' }
  | { kind: 'attr'; at: number; name: string; type: number; i: number | string; ints: (number | string)[]; s: Uint8Array; f: number }
  | { kind: 'opType'; at: number; op: string }
  | { kind: 'share'; at: number }
  | { kind: 'graph'; how: 'noNodes' | 'noGraph' | 'irVersion0' | 'irVersionHuge' | 'noInitializers' };

const ATTR_NAMES = ['transA', 'transB', 'group', 'auto_pad', 'kernel_shape', 'strides', 'pads', 'dilations', 'alpha', 'junk'];
const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('dims' as const), at: fc.nat(), dims: dimsArb }),
  fc.record({ kind: fc.constant('dataType' as const), at: fc.nat(), code: fc.constantFrom(DT.FLOAT, DT.DOUBLE, DT.FLOAT16, DT.BFLOAT16, DT.INT8, DT.INT64, DT.STRING, 0, 99, -1, 2 ** 31 - 1) }),
  fc.record({ kind: fc.constant('rawLength' as const), at: fc.nat(), delta: fc.oneof(fc.integer({ min: -9, max: 9 }), fc.constantFrom(-1_000_000, 4096)) }),
  fc.record({ kind: fc.constant('valuesLength' as const), at: fc.nat(), delta: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ kind: fc.constant('bothStorages' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('external' as const), at: fc.nat(), how: fc.constantFrom('location' as const, 'entries' as const, 'both' as const) }),
  fc.record({ kind: fc.constant('nameInit' as const), at: fc.nat(), name: fc.constantFrom('', 'w0', 'w1', 'x', '__proto__', 'constructor') }),
  fc.record({ kind: fc.constant('input' as const), at: fc.nat(), how: fc.constantFrom('drop' as const, 'empty' as const, 'other' as const, 'none' as const, 'noOutput' as const) }),
  fc.record({
    kind: fc.constant('attr' as const), at: fc.nat(), name: fc.constantFrom(...ATTR_NAMES),
    type: fc.constantFrom(AT.INT, AT.INTS, AT.FLOAT, AT.STRING, AT.FLOATS, AT.TENSOR, AT.UNDEFINED, 77),
    i: int64Arb, ints: intsArb,
    s: fc.oneof(fc.constantFrom('NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER', 'same_upper', '', 'SAME_UPPER\0').map((s) => new TextEncoder().encode(s)), fc.uint8Array({ maxLength: 6 })),
    f: fc.constantFrom(0, 1, 0.5, NaN, Infinity),
  }),
  fc.record({ kind: fc.constant('opType' as const), at: fc.nat(), op: fc.constantFrom('Gemm', 'MatMul', 'Conv', 'Relu', 'ConvTranspose', 'gemm', '') }),
  fc.record({ kind: fc.constant('share' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('graph' as const), how: fc.constantFrom('noNodes' as const, 'noGraph' as const, 'irVersion0' as const, 'irVersionHuge' as const, 'noInitializers' as const) }),
);

const modelArb = fc.record({
  layers: fc.array(layerArb, { minLength: 1, maxLength: 3 }),
  faults: fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 4, arbitrary: fc.array(faultArb, { minLength: 1, maxLength: 4 }) }),
  roundTrip: fc.nat(),
});

/** Little-endian bytes of `n` values of the dtype (a fixed pattern: the values do not matter). */
function rawOf(n: number, dtype: number): Uint8Array {
  const a = dtype === DT.DOUBLE ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 7) % 11) / 4 - 1;
  return new Uint8Array(a.buffer);
}

/** The model a structured case describes, encoded. */
function buildModel(c: ValueOf<typeof modelArb>): Uint8Array {
  const nodes: onnx.INodeProto[] = [];
  const inits: onnx.ITensorProto[] = [];
  let prev = 'x';
  c.layers.forEach((l, i) => {
    const w = `w${i}`, out = `h${i}`;
    const dims = l.op === 'Conv' ? [l.out, l.inn, l.kh, l.kw] : l.op === 'Gemm' && l.transB ? [l.out, l.inn] : [l.inn, l.out];
    const n = product(dims);
    const t: onnx.ITensorProto = { name: w, dims, dataType: l.dtype };
    if (l.storage === 'raw') t.rawData = rawOf(n, l.dtype);
    else if (l.dtype === DT.DOUBLE) t.doubleData = Array.from({ length: n }, (_, k) => k / 8);
    else t.floatData = Array.from({ length: n }, (_, k) => k / 8);
    inits.push(t, { name: `b${i}`, dims: [l.out], dataType: DT.FLOAT, rawData: rawOf(l.out, DT.FLOAT) });
    const attribute: onnx.IAttributeProto[] = [];
    if (l.op === 'Gemm') attribute.push({ name: 'transB', type: AT.INT, i: l.transB });
    if (l.op === 'Conv' && l.attrs) {
      attribute.push({ name: 'kernel_shape', type: AT.INTS, ints: [l.kh, l.kw] }, { name: 'pads', type: AT.INTS, ints: [1, 1, 1, 1] });
      attribute.push({ name: 'strides', type: AT.INTS, ints: [1, 2] }, { name: 'group', type: AT.INT, i: 1 });
    }
    nodes.push({ opType: l.op, name: `n${i}`, input: [prev, w, `b${i}`], output: [out], attribute });
    nodes.push({ opType: 'Relu', input: [out], output: [`r${i}`] });
    prev = `r${i}`;
  });
  const model: onnx.IModelProto = {
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'fuzz', node: nodes, initializer: inits, input: [{ name: 'x' }], output: [{ name: prev }] },
  };
  const g = model.graph!;
  const pick = <T>(xs: T[], at: number): T | undefined => (xs.length > 0 ? xs[at % xs.length] : undefined);
  for (const f of c.faults) {
    if (f.kind === 'graph') {
      if (f.how === 'noNodes') g.node = [];
      if (f.how === 'noGraph') model.graph = null;
      if (f.how === 'irVersion0') model.irVersion = 0;
      if (f.how === 'irVersionHuge') model.irVersion = '9223372036854775807' as never;
      if (f.how === 'noInitializers') g.initializer = [];
      continue;
    }
    if (!model.graph) continue;
    if (f.kind === 'dims' || f.kind === 'dataType' || f.kind === 'rawLength' || f.kind === 'valuesLength' || f.kind === 'bothStorages' || f.kind === 'external' || f.kind === 'nameInit') {
      const t = pick(g.initializer!, f.at);
      if (!t) continue;
      switch (f.kind) {
        case 'dims': t.dims = f.dims as never; break;
        case 'dataType': t.dataType = f.code; break;
        case 'rawLength': {
          const raw = t.rawData ?? new Uint8Array(0);
          t.rawData = f.delta < 0 ? raw.subarray(0, Math.max(0, raw.length + f.delta)) : cat(raw, new Uint8Array(f.delta).fill(0x3f));
          break;
        }
        case 'valuesLength': {
          const values = t.dataType === DT.DOUBLE ? (t.doubleData ?? []) : (t.floatData ?? []);
          const next = f.delta < 0 ? values.slice(0, Math.max(0, values.length + f.delta)) : [...values, ...new Array(f.delta).fill(0.5)];
          t.rawData = new Uint8Array(0);
          if (t.dataType === DT.DOUBLE) t.doubleData = next;
          else t.floatData = next;
          break;
        }
        case 'bothStorages': t.floatData = [1, 2, 3]; t.doubleData = [4]; t.int32Data = [5, 6]; break;
        case 'external':
          if (f.how !== 'entries') t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
          if (f.how !== 'location') t.externalData = [{ key: 'location', value: 'weights.bin' }, { key: 'length', value: '64' }];
          break;
        case 'nameInit': t.name = f.name; break;
      }
      continue;
    }
    const node = pick(g.node!.filter((n) => n.opType !== 'Relu'), f.at) ?? pick(g.node!, f.at);
    if (!node) continue;
    switch (f.kind) {
      case 'input':
        if (node.input!.length === 0) node.input = ['x'];
        if (f.how === 'drop') node.input = node.input!.slice(0, 1);
        if (f.how === 'empty') node.input = [node.input![0], '', ...node.input!.slice(2)];
        if (f.how === 'other') node.input = [node.input![0], 'x', ...node.input!.slice(2)];
        if (f.how === 'none') node.input = [];
        if (f.how === 'noOutput') node.output = [];
        break;
      case 'attr': {
        // An attribute of the given type; its payload fields are all set, whatever the type says.
        const a: onnx.IAttributeProto = { name: f.name, type: f.type, i: f.i as never, ints: f.ints as never, s: f.s, f: f.f, floats: [f.f] };
        node.attribute = [...(node.attribute ?? []).filter((x) => x.name !== f.name || f.at % 4 === 0), a];
        break;
      }
      case 'opType': node.opType = f.op; break;
      case 'share': {
        const other = g.node!.find((n) => n !== node && n.input!.length >= 2 && n.opType !== 'Relu');
        if (other) node.input = [node.input![0] ?? 'x', other.input![1], ...node.input!.slice(2)];
        break;
      }
    }
  }
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

describe('onnx fuzz: structured ModelProtos', () => {
  it('Gemm, MatMul and Conv graphs with wrong dims, data types, storage, attributes and inputs', () => {
    const t = run('structured models', modelArb, 4_000, 0x0b1, (c) => exercise(buildModel(c), c.roundTrip));
    // The generator must reach every depth: models refused at once, partly read, read in full.
    expect(t.outcomes.get('read in full') ?? 0).toBeGreaterThan(500);
    expect(t.outcomes.get('partly refused') ?? 0).toBeGreaterThan(500);
    expect(t.outcomes.get('refused at decode') ?? 0).toBeGreaterThan(100);
    expect(t.roundTrips).toBeGreaterThan(1_000);
  });
});

describe('onnx fuzz: deeply nested messages', () => {
  it('subgraphs within subgraphs and types within types, up to thousands deep', () => {
    // protobufjs decodes deeper than it encodes again: a model it decodes must still copy and write.
    const base = onnx.GraphProto.encode(onnx.GraphProto.create({
      node: [{ opType: 'MatMul', input: ['x', 'w'], output: ['y'] }],
      initializer: [{ name: 'w', dims: [2, 2], dataType: DT.FLOAT, floatData: [1, 2, 3, 4] }],
    })).finish();
    const arb = fc.tuple(fc.oneof(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 4000 })), fc.constantFrom('graph', 'type'));
    run('deeply nested messages', arb, 200, 0x0b2, ([depth, kind]) => {
      let inner: Uint8Array = new Uint8Array(0);
      // graph { node { attribute { g: graph … } } }, or input { type { sequence_type { elem_type … } } }.
      for (let d = 0; d < depth; d++) inner = kind === 'graph' ? lenField(1, lenField(5, lenField(6, inner))) : lenField(4, lenField(1, inner));
      const graph = kind === 'graph' ? cat(base, inner) : cat(base, lenField(11, cat(lenField(1, new TextEncoder().encode('x')), lenField(2, inner))));
      return exercise(cat(Uint8Array.of(0x08, 0x07), lenField(7, graph)));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Mutations of the real file.

interface Layout {
  bytes: Uint8Array;
  graph: Field;
  nodes: Field[];
  inits: Field[];
  /** Every length-delimited field of the model, the graph and its nodes and initializers. */
  lens: Field[];
  /** Byte offsets outside raw_data payloads (where a flip changes structure, not a weight value). */
  structural: [number, number][];
}

function layoutOf(bytes: Uint8Array): Layout {
  const top = fields(bytes, 0, bytes.length);
  const graph = top.find((f) => f.no === 7)!;
  const inGraph = fields(bytes, graph.valueAt, graph.end);
  const nodes = inGraph.filter((f) => f.no === 1), inits = inGraph.filter((f) => f.no === 5);
  const lens = [...top, ...inGraph].filter((f) => f.wire === 2);
  for (const f of [...nodes, ...inits]) lens.push(...fields(bytes, f.valueAt, f.end).filter((x) => x.wire === 2));
  // Structure: everything but the raw_data values (field 9 of each initializer).
  const structural: [number, number][] = [];
  let at = 0;
  for (const init of inits) {
    const raw = fields(bytes, init.valueAt, init.end).find((x) => x.no === 9);
    if (!raw) continue;
    structural.push([at, raw.valueAt]);
    at = raw.end;
  }
  structural.push([at, bytes.length]);
  return { bytes, graph, nodes, inits, lens, structural };
}

/** The file with graph child `child` (a node or an initializer field) replaced by `body`, lengths fixed up. */
function spliceGraphChild(l: Layout, child: Field, body: Uint8Array): Uint8Array {
  const b = l.bytes;
  const graphBody = cat(b.subarray(l.graph.valueAt, child.start), lenField(child.no, body), b.subarray(child.end, l.graph.end));
  return cat(b.subarray(0, l.graph.start), lenField(7, graphBody), b.subarray(l.graph.end));
}

/** An edit of one initializer of the real file. */
const tensorEditArb = fc.oneof(
  fc.record({ what: fc.constant('dims' as const), dims: dimsArb }),
  fc.record({ what: fc.constant('dim' as const), at: fc.nat(3), v: int64Arb }),
  fc.record({ what: fc.constant('dataType' as const), v: fc.constantFrom(DT.DOUBLE, DT.FLOAT16, DT.INT64, DT.UINT8, 0, 17, 99, -5) }),
  fc.record({ what: fc.constant('raw' as const), delta: fc.oneof(fc.integer({ min: -9, max: 9 }), fc.constantFrom(-1_000_000, 4)) }),
  fc.record({ what: fc.constant('floatData' as const), delta: fc.integer({ min: -2, max: 2 }) }),
  fc.record({ what: fc.constant('external' as const) }),
  fc.record({ what: fc.constant('name' as const), v: fc.constantFrom('', 'fc1.weight', 'conv1.weight', 'fc2.bias', 'other') }),
);

/** The file with initializer field `f` edited. */
function editInitializer(l: Layout, f: Field, edits: ValueOf<typeof tensorEditArb>[]): Uint8Array {
  const tp = onnx.TensorProto.decode(l.bytes.subarray(f.valueAt, f.end));
  for (const e of edits) {
    if (e.what === 'dims') tp.dims = e.dims as never;
    if (e.what === 'dim') tp.dims[e.at % Math.max(1, tp.dims.length)] = e.v as never;
    if (e.what === 'dataType') tp.dataType = e.v;
    if (e.what === 'raw') tp.rawData = e.delta < 0 ? tp.rawData.subarray(0, Math.max(0, tp.rawData.length + e.delta)) : cat(tp.rawData, new Uint8Array(e.delta));
    if (e.what === 'floatData') {
      // The values moved to float_data, a few more or fewer than dims say (only for the small tensors).
      const n = Math.min(Math.floor(tp.rawData.length / 4), 20_000);
      tp.floatData = Array.from(new Float32Array(tp.rawData.buffer.slice(tp.rawData.byteOffset, tp.rawData.byteOffset + 4 * n)).subarray(0, Math.max(0, n + e.delta)));
      if (e.delta > 0) tp.floatData.push(...new Array(e.delta).fill(1));
      tp.rawData = new Uint8Array(0);
    }
    if (e.what === 'external') {
      tp.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      tp.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: 'x.bin' })];
    }
    if (e.what === 'name') tp.name = e.v;
  }
  return spliceGraphChild(l, f, onnx.TensorProto.encode(tp).finish());
}

describe(`onnx fuzz: mutations of the real mnist-cnn.onnx${NO_SHARED_DATA}`, () => {
  let layout: Layout | undefined;
  const load = async () => (layout ??= layoutOf(new Uint8Array(await readFile(sharedData('onnx/mnist-cnn.onnx')))));
  /** A byte offset: mostly in the structure, now and then anywhere. */
  const offsetArb = (l: Layout) => fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: l.structural.length - 1 }).chain((k) => fc.integer({ min: l.structural[k][0], max: Math.max(l.structural[k][0], l.structural[k][1] - 1) })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: l.bytes.length - 1 }) },
  );
  /** Round trips copy the whole 1.7 MB model, so only about one case in eight makes one. */
  const roundTripArb = fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() });

  it.skipIf(!SHARED_DATA)('the unmutated file reads in full, all four layers round trip', async () => {
    const l = await load();
    for (let k = 0; k < 4; k++) expect(exercise(l.bytes, k)).toEqual({ outcome: 'read in full', weights: 4, roundTrips: 1 });
  });

  it.skipIf(!SHARED_DATA)('byte flips, mostly outside the raw weight values', async () => {
    const l = await load();
    const arb = fc.tuple(fc.array(fc.tuple(offsetArb(l), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), roundTripArb);
    // Flipped in place and flipped back (a copy of 1.7 MB per case is most of its time).
    const t = run('real file, byte flips', arb, 500, 0x0c1, ([flips, rt]) => {
      const b = l.bytes;
      for (const [at, x] of flips) b[at] ^= x;
      try {
        return exercise(b, rt);
      } finally {
        for (const [at, x] of flips) b[at] ^= x; // XOR undoes itself, in any order
      }
    });
    expect(t.outcomes.get('read in full') ?? 0).toBeGreaterThan(0);
    expect(t.outcomes.get('refused at decode') ?? 0).toBeGreaterThan(0);
  });

  it.skipIf(!SHARED_DATA)('truncations at random lengths', async () => {
    const l = await load();
    const arb = fc.oneof(fc.integer({ min: 0, max: l.bytes.length - 1 }), fc.integer({ min: 0, max: 4096 }), fc.integer({ min: l.bytes.length - 2048, max: l.bytes.length - 1 }));
    // Cut inside the graph, the file does not parse; cut after it (the opset imports), it may.
    const t = run('real file, truncations', arb, 400, 0x0c2, (n) => {
      const r = exercise(l.bytes.subarray(0, n), null);
      if (n < l.graph.end) expect(r.outcome).toBe('refused at decode');
      return r;
    });
    expect(t.outcomes.get('refused at decode') ?? 0).toBeGreaterThan(390);
  });

  it.skipIf(!SHARED_DATA)('inserted and deleted bytes', async () => {
    const l = await load();
    const edit = fc.tuple(offsetArb(l), fc.oneof(fc.integer({ min: -8, max: -1 }), fc.uint8Array({ minLength: 1, maxLength: 8 })));
    const arb = fc.tuple(fc.array(edit, { minLength: 1, maxLength: 3 }), roundTripArb);
    const t = run('real file, inserted/deleted bytes', arb, 300, 0x0c3, ([edits, rt]) => {
      let b = l.bytes;
      for (const [at, e] of edits) {
        const p = Math.min(at, b.length);
        b = typeof e === 'number' ? cat(b.subarray(0, p), b.subarray(Math.min(b.length, p - e))) : cat(b.subarray(0, p), e, b.subarray(p));
      }
      return exercise(b, rt);
    });
    expect(t.outcomes.get('refused at decode') ?? 0).toBeGreaterThan(0);
  });

  it.skipIf(!SHARED_DATA)('edited varint lengths of the model’s, graph’s, nodes’ and initializers’ fields', async () => {
    const l = await load();
    const arb = fc.tuple(
      fc.integer({ min: 0, max: l.lens.length - 1 }),
      fc.oneof(fc.integer({ min: -16, max: 16 }).map((d) => ({ delta: d })), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => ({ value: v })), fc.constantFrom({ value: 0n }, { value: 1n << 31n }, { value: 1n << 32n })),
      roundTripArb,
    );
    const t = run('real file, edited varint lengths', arb, 300, 0x0c4, ([k, change, rt]) => {
      const f = l.lens[k];
      const old = BigInt(f.end - f.valueAt);
      const v = 'delta' in change ? (old + BigInt(change.delta) < 0n ? 0n : old + BigInt(change.delta)) : change.value;
      return exercise(cat(l.bytes.subarray(0, f.lenAt), varint(v), l.bytes.subarray(f.valueAt)), rt);
    });
    expect(t.outcomes.get('refused at decode') ?? 0).toBeGreaterThan(0);
  });

  it.skipIf(!SHARED_DATA)('edited initializers: dims, data_type, raw_data length, float_data, external data, names', async () => {
    const l = await load();
    const arb = fc.tuple(fc.integer({ min: 0, max: l.inits.length - 1 }), fc.array(tensorEditArb, { minLength: 1, maxLength: 3 }), roundTripArb);
    const t = run('real file, edited initializers', arb, 300, 0x0c5, ([k, edits, rt]) => {
      const f = l.inits[k];
      return exercise(editInitializer(l, f, edits), rt);
    });
    expect(t.outcomes.get('partly refused') ?? 0).toBeGreaterThan(100);
  });

  it.skipIf(!SHARED_DATA)('edited nodes: op types, inputs, and attributes of wrong types or odd values', async () => {
    const l = await load();
    const nodeEdit = fc.oneof(
      fc.record({ what: fc.constant('attr' as const), name: fc.constantFrom(...ATTR_NAMES), type: fc.constantFrom(AT.INT, AT.INTS, AT.FLOAT, AT.STRING, AT.GRAPH), i: int64Arb, ints: intsArb, s: fc.uint8Array({ maxLength: 5 }), replace: fc.boolean() }),
      fc.record({ what: fc.constant('opType' as const), v: fc.constantFrom('Gemm', 'MatMul', 'Conv', 'Relu', '') }),
      fc.record({ what: fc.constant('inputs' as const), keep: fc.nat(3), v: fc.constantFrom('fc1.weight', 'conv2.weight', 'input', '', 'nope') }),
    );
    // The Conv and Gemm nodes mostly, now and then any other.
    const layerNodes = [0, 3, 8, 10].filter((k) => k < l.nodes.length);
    const arb = fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...layerNodes) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: l.nodes.length - 1 }) }), fc.array(nodeEdit, { minLength: 1, maxLength: 3 }), roundTripArb);
    const t = run('real file, edited nodes', arb, 300, 0x0c6, ([k, edits, rt]) => {
      const f = l.nodes[k];
      const node = onnx.NodeProto.decode(l.bytes.subarray(f.valueAt, f.end));
      for (const e of edits) {
        if (e.what === 'attr') {
          const a = onnx.AttributeProto.create({ name: e.name, type: e.type, i: e.i as never, ints: e.ints as never, s: e.s });
          node.attribute = [...node.attribute.filter((x) => !e.replace || x.name !== e.name), a];
        }
        if (e.what === 'opType') node.opType = e.v;
        if (e.what === 'inputs') node.input = [...node.input.slice(0, Math.min(e.keep, 1)), e.v, ...node.input.slice(2)].slice(0, Math.max(e.keep, 1));
      }
      return exercise(spliceGraphChild(l, f, onnx.NodeProto.encode(node).finish()), rt);
    });
    expect(t.outcomes.get('read in full') ?? 0).toBeGreaterThan(0);
  });

  it.skipIf(!SHARED_DATA)('pruneOnnx’s up-front checks: a model they pass has every layer weight readable', async () => {
    // options.batchSize 0 is refused by the last check before any work, so no case runs onnxruntime:
    // a case either fails a check about the model (or its samples), or reaches that last one.
    const l = await load();
    const la = await init({ wasmPaths: new URL('../../dist/', import.meta.url) });
    const samples = { input: 'input', data: new Float32Array(2 * 784), sampleShape: [1, 28, 28] };
    const edit = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: l.inits.length - 1 }), fc.array(tensorEditArb, { minLength: 1, maxLength: 2 })).map(([k, e]) => () => editInitializer(l, l.inits[k], e)),
      fc.array(fc.tuple(offsetArb(l), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }).map((flips) => () => {
        const b = l.bytes.slice();
        for (const [at, x] of flips) b[at] ^= x;
        return b;
      }),
    );
    const tally = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(edit, async (make) => {
        const bytes = make();
        const err = await pruneOnnx(la, bytes, samples, { pruner: magnitude(), pattern: '0.5', batchSize: 0, name: NAME }).then(() => null, (e: unknown) => e);
        if (!isOurs(err)) throw foreign('pruneOnnx', err);
        const last = (err as ArgumentRangeError).arg === 'options.batchSize';
        tally.set(last ? 'passed the model checks' : 'refused', (tally.get(last ? 'passed the model checks' : 'refused') ?? 0) + 1);
        if (last) {
          // Passed: the model decodes and every layer's weight reads as its dims say.
          const model = decodeOnnxModel(bytes, NAME);
          for (const layer of onnxLayers(model)) expect(layerWeight(model, layer).length).toBe(layer.rows * layer.cols);
        }
        expect(la.liveBytes()).toBe(0);
      }),
      { seed: 0x0d1, numRuns: 400 },
    );
    console.log(`onnx fuzz, pruneOnnx up-front checks on the real file: 400 cases (${[...tally].map(([k, n]) => `${k}: ${n}`).join(', ')})`);
    expect(tally.get('passed the model checks') ?? 0).toBeGreaterThan(50);
    expect(tally.get('refused') ?? 0).toBeGreaterThan(50);
  });
});
