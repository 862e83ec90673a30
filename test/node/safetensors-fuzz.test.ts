// Fuzzing the safetensors reader with fast-check (fixed seeds, so CI is reproducible).
//
// Cases per property (10,500 in all):
//   arbitrary byte strings ............................... 2,500
//   arbitrary bytes behind a plausible length prefix ...... 1,500
//   structured near-valid headers ......................... 4,000
//   the real Llama file: byte flips in the header region .. 1,000
//   the real Llama file: truncations ........................ 800
//   the real Llama file: edited length prefix ............... 700
//
// The property, for every case: opening the bytes and then reading every listed tensor either
// succeeds or throws the library's own ArgumentRangeError / ArgumentTypeError, never any other
// exception; every ByteSource.read the reader makes lies within [0, size), and all of them together
// ask for at most size + SLACK bytes (the wrapper checks this itself, so a read the source would
// refuse still counts as a failure): no allocation beyond what the file's size allows. The case
// counts, what became of them, and the slowest case are printed.
import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ArgumentRangeError, ArgumentTypeError } from '../../src/core/errors.js';
import { type ByteSource } from '../../src/io/byte-source.js';
import { SAFETENSORS_DTYPE_BITS, openSafetensors } from '../../src/io/safetensors.js';
import { NO_SHARED_DATA, SHARED_DATA, sharedData } from './shared-data.js';

/** Bytes the reader may ask for beyond the file's size, in all (none are needed today). */
const SLACK = 16;
/** A guard against pathological blowups only (a case normally takes well under 10 ms). */
const CASE_LIMIT_MS = 10_000;

/** A ByteSource over `base` (its first `size` bytes, with `patches` applied) that checks every read. */
function checkedSource(base: Uint8Array, size = base.length, patches: [number, number][] = []) {
  const problems: string[] = [];
  let requested = 0;
  const src: ByteSource = {
    size,
    async read(offset, length) {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
        problems.push(`read(${offset}, ${length}) outside [0, ${size})`);
        throw new Error('out-of-range read');
      }
      requested += length;
      if (requested > size + SLACK) problems.push(`${requested} bytes requested from a ${size}-byte file`);
      const out = base.slice(offset, offset + length);
      for (const [at, byte] of patches) if (at >= offset && at < offset + length) out[at - offset] = byte;
      return out;
    },
    async close() {},
  };
  return { src, problems, requested: () => requested };
}

type Outcome = 'opened, all read' | 'opened, some unsupported' | 'refused (range)' | 'refused (type)';

/** Stats for one property: outcomes and the slowest case. */
class Tally {
  cases = 0;
  slowest = 0;
  outcomes = new Map<Outcome, number>();
  add(o: Outcome, ms: number) {
    this.cases++;
    this.slowest = Math.max(this.slowest, ms);
    this.outcomes.set(o, (this.outcomes.get(o) ?? 0) + 1);
  }
  print(what: string) {
    const parts = [...this.outcomes].map(([o, n]) => `${o}: ${n}`).join(', ');
    console.log(`safetensors fuzz, ${what}: ${this.cases} cases (${parts}); slowest ${this.slowest.toFixed(1)} ms`);
  }
}

const isOurs = (e: unknown) => e instanceof ArgumentRangeError || e instanceof ArgumentTypeError;

/** Opens and reads everything; returns the outcome or throws a property failure. */
async function exercise(base: Uint8Array, size?: number, patches?: [number, number][]): Promise<Outcome> {
  const { src, problems } = checkedSource(base, size, patches);
  let outcome: Outcome;
  try {
    const st = await openSafetensors(src, 'fuzz.safetensors');
    outcome = 'opened, all read';
    let spanned = 0;
    for (const name of st.names) {
      const e = st.entry(name);
      spanned += e.end - e.begin;
      if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16') {
        outcome = 'opened, some unsupported';
        await expect(st.read(name)).rejects.toThrow(/unsupported dtype/);
        continue;
      }
      const values = await st.read(name);
      if (values.length !== e.count) problems.push(`${name}: ${values.length} values, header says ${e.count}`);
    }
    // What opened must tile the data section exactly.
    if (spanned !== src.size - st.dataStart) problems.push(`tensors span ${spanned} bytes of a ${src.size - st.dataStart}-byte data section`);
    await st.close();
  } catch (err) {
    if (problems.length > 0) throw new Error(problems.join('; '));
    if (!isOurs(err)) throw err;
    outcome = err instanceof ArgumentRangeError ? 'refused (range)' : 'refused (type)';
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return outcome;
}

async function run<T>(what: string, arb: fc.Arbitrary<T>, numRuns: number, seed: number, body: (x: T) => Promise<Outcome>) {
  const tally = new Tally();
  await fc.assert(
    fc.asyncProperty(arb, async (x) => {
      const t0 = performance.now();
      const o = await body(x);
      const ms = performance.now() - t0;
      expect(ms).toBeLessThan(CASE_LIMIT_MS);
      tally.add(o, ms);
    }),
    { seed, numRuns },
  );
  tally.print(what);
  // fast-check shrinks after a failure, so the tally counts only passing runs: all of them here.
  expect(tally.cases).toBe(numRuns);
  return tally;
}

const le64 = (n: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
};
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Arbitrary bytes.

describe('safetensors fuzz: arbitrary bytes', () => {
  it('arbitrary byte strings', async () => {
    await run('arbitrary byte strings', fc.uint8Array({ maxLength: 300 }), 2_500, 0x5afe, (b) => exercise(b));
  });

  it('arbitrary bytes behind a plausible length prefix (JSON-ish bodies)', async () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.string({ maxLength: 120 }).map((s) => new TextEncoder().encode(s)),
      fc.json({ maxDepth: 3 }).map((s) => new TextEncoder().encode(s)),
    );
    const arb = fc.tuple(body, fc.integer({ min: -4, max: 4 }), fc.uint8Array({ maxLength: 64 }));
    await run('bytes behind a length prefix', arb, 1_500, 0x1e9, ([h, skew, data]) => exercise(cat(le64(BigInt(Math.max(0, h.length + skew))), h, data)));
  });
});

// ---------------------------------------------------------------------------------------------
// Structured near-valid headers.

const KNOWN = Object.keys(SAFETENSORS_DTYPE_BITS) as (keyof typeof SAFETENSORS_DTYPE_BITS)[];

const dtypeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('F32', 'F16', 'BF16') },
  { weight: 3, arbitrary: fc.constantFrom(...KNOWN) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('F31', 'f32', '', 'FLOAT', 'F8', 'F32 ', 7, null, ['F32'], { F32: 1 }) },
);
const dimArb = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 0, max: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 1.5, 2 ** 31, 2 ** 53, 2 ** 53 - 1, 2 ** 60, 1e300, -0, '3', null, true, [2]) },
);
const shapeArb = fc.oneof(
  { weight: 30, arbitrary: fc.array(dimArb, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(3, null, 'x', {}, [[1]]) },
);
type OffsetMode = 'exact' | 'gap' | 'overlap' | 'swap' | 'negative' | 'huge' | 'float' | 'short' | 'long' | 'missing' | 'string' | 'triple';
const offsetModeArb = fc.oneof(
  { weight: 40, arbitrary: fc.constant<OffsetMode>('exact') },
  { weight: 1, arbitrary: fc.constantFrom<OffsetMode>('gap', 'overlap', 'swap', 'negative', 'huge', 'float', 'short', 'long', 'missing', 'string', 'triple') },
);
const entryArb = fc.record({
  name: fc.oneof(fc.constantFrom('w', 'b', 'model.norm.weight', '__proto__', 'constructor', '0', '10', ''), fc.string({ maxLength: 6 })),
  dtype: dtypeArb,
  shape: shapeArb,
  mode: offsetModeArb,
  delta: fc.integer({ min: 1, max: 9 }),
  extraKey: fc.boolean(),
  asArray: fc.integer({ min: 0, max: 100 }),
});
const headerArb = fc.record({
  entries: fc.array(entryArb, { maxLength: 5 }),
  shuffle: fc.boolean(),
  metadata: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom<unknown>(undefined, { format: 'pt' }, {}, null) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>({ format: 1 }, 'pt', ['x'], { a: null }) },
  ),
  padding: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('', ' ', '   ', '       ', '\t\n') }, { weight: 1, arbitrary: fc.constantFrom('\0', ' \0', 'x') }),
  prefix: fc.oneof(
    { weight: 12, arbitrary: fc.constant<number | bigint>(0) },
    { weight: 1, arbitrary: fc.constantFrom<number | bigint>(-8, -1, 1, 8, 1n << 32n, 1n << 63n, 100_000_001n, 99_999_999n) },
  ),
  dataSkew: fc.oneof({ weight: 10, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -5, max: 5 }) }),
  badUtf8: fc.oneof({ weight: 15, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom(0xff, 0xc0, 0x80, 0xed, 0xf8)) }),
});

/** Byte size a well-formed entry would need, or a small guess when the entry is malformed. */
function wants(dtype: unknown, shape: unknown): number {
  const bits = typeof dtype === 'string' && dtype in SAFETENSORS_DTYPE_BITS ? SAFETENSORS_DTYPE_BITS[dtype as keyof typeof SAFETENSORS_DTYPE_BITS] : 32;
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) return 4;
  const count = shape.reduce((a: number, b: number) => a * b, 1);
  return count > 1e6 ? 4 : Math.ceil((count * bits) / 8);
}

/** The file a structured case describes. */
function build(h: fc.infer<typeof headerArb>): Uint8Array {
  const parts: string[] = [];
  if (h.metadata !== undefined) parts.push(`"__metadata__":${JSON.stringify(h.metadata)}`);
  let at = 0;
  const items = h.entries.map((e) => {
    const n = wants(e.dtype, e.shape);
    let offsets: unknown = [at, at + n];
    switch (e.mode) {
      case 'gap': offsets = [at + e.delta, at + e.delta + n]; break;
      case 'overlap': offsets = [Math.max(0, at - e.delta), Math.max(0, at - e.delta) + n]; break;
      case 'swap': offsets = [at + n, at]; break;
      case 'negative': offsets = [-e.delta, n]; break;
      case 'huge': offsets = [at, 2 ** 60]; break;
      case 'float': offsets = [at + 0.5, at + n + 0.5]; break;
      case 'short': offsets = [at, at + n - e.delta]; break;
      case 'long': offsets = [at, at + n + e.delta]; break;
      case 'missing': offsets = undefined; break;
      case 'string': offsets = [String(at), String(at + n)]; break;
      case 'triple': offsets = [at, at + n, at + n]; break;
    }
    at += n;
    const fields: string[] = [`"dtype":${JSON.stringify(e.dtype)}`, `"shape":${JSON.stringify(e.shape)}`];
    if (offsets !== undefined) fields.push(`"data_offsets":${JSON.stringify(offsets)}`);
    if (e.extraKey) fields.push('"extra":{"nested":[1,2,3]}');
    // Now and then an entry that is not an object at all.
    const value = e.asArray === 0 ? '[1,2]' : e.asArray === 1 ? '"F32"' : `{${fields.join(',')}}`;
    return `${JSON.stringify(e.name)}:${value}`;
  });
  if (h.shuffle) items.reverse();
  parts.push(...items);
  const header = new TextEncoder().encode(`{${parts.join(',')}}${h.padding}`);
  if (h.badUtf8) header[h.badUtf8[0] % header.length] = h.badUtf8[1];
  const dataLength = Math.max(0, at + h.dataSkew);
  let n = BigInt(header.length);
  if (typeof h.prefix === 'bigint') n = h.prefix;
  else n = BigInt(Math.max(0, header.length + h.prefix));
  return cat(le64(n), header, new Uint8Array(dataLength).map((_, i) => (i * 37) & 0xff));
}

describe('safetensors fuzz: structured near-valid headers', () => {
  it('wrong dtypes, shapes and offsets; gaps, overlaps, out-of-range offsets; huge lengths; non-UTF-8 bytes', async () => {
    const t = await run('structured headers', headerArb, 4_000, 0xb17e, (h) => exercise(build(h)));
    // The generator must reach both sides: files that open and every kind of refusal.
    expect(t.outcomes.get('opened, all read') ?? 0).toBeGreaterThan(200);
    expect(t.outcomes.get('opened, some unsupported') ?? 0).toBeGreaterThan(50);
    expect(t.outcomes.get('refused (range)') ?? 0).toBeGreaterThan(200);
    expect(t.outcomes.get('refused (type)') ?? 0).toBeGreaterThan(200);
  });
});

// ---------------------------------------------------------------------------------------------
// Mutations of the real file.

describe(`safetensors fuzz: mutations of the real Llama file${NO_SHARED_DATA}`, () => {
  let real: Uint8Array | undefined;
  const load = async () => (real ??= new Uint8Array(await readFile(sharedData('tinystories-llama/model.safetensors'))));
  const headerEnd = (b: Uint8Array) => 8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));

  it.skipIf(!SHARED_DATA)('the unmutated file opens and reads', async () => {
    expect(await exercise(await load())).toBe('opened, all read');
  });

  it.skipIf(!SHARED_DATA)('byte flips in the header region', async () => {
    const bytes = await load();
    const end = headerEnd(bytes);
    const flip = fc.tuple(fc.integer({ min: 0, max: end - 1 }), fc.oneof(fc.integer({ min: 1, max: 255 }), fc.constantFrom(0x20, 0x22, 0x2c, 0x30, 0x39, 0x5b, 0x5d, 0x7b, 0x7d)));
    const arb = fc.array(flip, { minLength: 1, maxLength: 4 });
    // A flip replaces the byte with one of JSON's own characters or XORs it, so it always changes.
    const t = await run('real file, header byte flips', arb, 1_000, 0xf11b, (flips) =>
      exercise(bytes, bytes.length, flips.map(([at, v]) => [at, /[ ",0-9[\]{}]/.test(String.fromCharCode(v)) && v !== bytes[at] ? v : bytes[at] ^ v])),
    );
    expect(t.outcomes.get('opened, all read') ?? 0).toBeGreaterThan(0);
  });

  it.skipIf(!SHARED_DATA)('truncations at random lengths', async () => {
    const bytes = await load();
    const end = headerEnd(bytes);
    const arb = fc.oneof(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: end + 16 }), fc.integer({ min: bytes.length - 600, max: bytes.length - 1 }));
    const t = await run('real file, truncations', arb, 800, 0x7c0c, (size) => exercise(bytes, size));
    expect(t.outcomes.get('opened, all read') ?? 0).toBe(0);
  });

  it.skipIf(!SHARED_DATA)('edited length prefix', async () => {
    const bytes = await load();
    const end = headerEnd(bytes);
    const arb = fc.oneof(
      fc.integer({ min: -64, max: 64 }).map((d) => BigInt(Math.max(0, end - 8 + d))),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.constantFrom(0n, BigInt(bytes.length), BigInt(bytes.length - 8), 100_000_000n, 100_000_001n, 1n << 32n, 1n << 53n, (1n << 64n) - 1n),
    );
    const t = await run('real file, edited length prefix', arb, 700, 0x1e46, (n) => {
      const prefix = le64(n);
      return exercise(bytes, bytes.length, [...prefix].map((b, i) => [i, b]));
    });
    expect(t.outcomes.get('opened, all read') ?? 0).toBeGreaterThan(0); // the unedited length among them
  });
});
