// .npy reading and writing: round trips, cross-checks against real numpy (skipped, with the
// reason, when python3 cannot import numpy), every parse error, a deterministic fuzz loop, and
// the atomic, input-protecting file writer.
import { execFileSync, spawnSync } from 'node:child_process';
import { link, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNpy, parseNpy } from '../../src/io/npy.js';
import { readNpyFile, writeNpyFile } from '../../src/io/files.js';
import { writeFileAtomic } from '../../src/io/atomic.js';

// ---------------------------------------------------------------------------------------------
// Helpers.

const SHAPES: number[][] = [[], [1], [5], [3, 4], [1, 0], [2, 3, 4]];
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sample(T: Float32ArrayConstructor | Float64ArrayConstructor, n: number, seed = 1) {
  const r = mulberry32(seed);
  const a = new T(n);
  for (let i = 0; i < n; i++) a[i] = (r() - 0.5) * 1000;
  return a;
}

const bytesOf = (a: Float32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A .npy file with this header text, padded like numpy, followed by `data`. */
function craft(header: string, data: Uint8Array = new Uint8Array(0), major = 1, minor = 0): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  let h = header;
  const pad = 64 - ((prefix + h.length + 1) % 64);
  h += ' '.repeat(pad) + '\n';
  const hb = new TextEncoder().encode(h);
  const out = new Uint8Array(prefix + hb.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, minor]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, hb.length, true);
  else dv.setUint32(8, hb.length, true);
  out.set(hb, prefix);
  out.set(data, prefix + hb.length);
  return out;
}

/** Big-endian bytes of `values` as float64 (or float32). */
function bigEndian(values: number[], size: 4 | 8): Uint8Array {
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => (size === 8 ? dv.setFloat64(i * 8, v, false) : dv.setFloat32(i * 4, v, false)));
  return out;
}

const dicts = (descr: string, fortran: string, shape: string) => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iobs-npy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Round trips.

describe('formatNpy / parseNpy round trips', () => {
  for (const T of [Float32Array, Float64Array]) {
    for (const shape of SHAPES) {
      it(`${T.name} shape [${shape}]`, () => {
        const data = sample(T, prod(shape), shape.length + 7);
        const bytes = formatNpy(data, shape);
        const headerLen = new DataView(bytes.buffer).getUint16(8, true);
        expect(bytes[6]).toBe(1);
        expect((10 + headerLen) % 64).toBe(0);
        expect(bytes[10 + headerLen - 1]).toBe(0x0a);
        expect(bytes.length).toBe(10 + headerLen + data.byteLength);
        const back = parseNpy(bytes);
        expect(back.dtype).toBe(T === Float32Array ? 'float32' : 'float64');
        expect(back.shape).toEqual(shape);
        expect(back.data).toBeInstanceOf(T);
        expect(back.data.length).toBe(prod(shape));
        expect(bytesOf(back.data)).toEqual(bytesOf(data));
      });
    }
  }

  it('keeps NaN, infinities, -0 and subnormals bit for bit', () => {
    const data = new Float64Array([NaN, Infinity, -Infinity, -0, 5e-324, 1.7976931348623157e308]);
    const back = parseNpy(formatNpy(data, [6]));
    expect(bytesOf(back.data)).toEqual(bytesOf(data));
  });

  it('writes the header exactly as numpy lays it out', () => {
    const text = new TextDecoder().decode(formatNpy(new Float64Array(12), [3, 4]).subarray(10, 128));
    expect(text).toBe(`{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }${' '.repeat(20)}`.padEnd(117, ' ') + '\n');
    const one = new TextDecoder().decode(formatNpy(new Float32Array(5), [5]).subarray(10, 128));
    expect(one.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }")).toBe(true);
    // No growth padding for rank 0; 10 + 55 + '\n' passes 64, so the data starts at 128.
    const scalar = formatNpy(new Float32Array(1), []);
    expect(scalar.length).toBe(132);
    expect(new TextDecoder().decode(scalar.subarray(10, 128))).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (), }".padEnd(117, ' ') + '\n');
  });

  it('reads data at an unaligned byte offset by copying', () => {
    const data = sample(Float64Array, 12);
    const file = formatNpy(data, [3, 4]);
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    const view = big.subarray(3);
    const back = parseNpy(view);
    expect(bytesOf(back.data)).toEqual(bytesOf(data));
    view.fill(0, 128); // the result does not alias the input
    expect(bytesOf(back.data)).toEqual(bytesOf(data));
  });

  it('byte-swaps big-endian data and reorders Fortran-order data (hand-made files)', () => {
    const be8 = parseNpy(craft(dicts('>f8', 'False', '(2, 2)'), bigEndian([1.5, -2, 3.25, 1e-300], 8)));
    expect(Array.from(be8.data)).toEqual([1.5, -2, 3.25, 1e-300]);
    const be4 = parseNpy(craft(dicts('>f4', 'False', '(3,)'), bigEndian([1.5, -2, 3.25], 4)));
    expect(be4.dtype).toBe('float32');
    expect(Array.from(be4.data)).toEqual([1.5, -2, 3.25]);
    // 2x3 matrix [[1,2,3],[4,5,6]] stored column by column.
    const f = parseNpy(craft(dicts('<f8', 'True', '(2, 3)'), bytesOf(new Float64Array([1, 4, 2, 5, 3, 6]))));
    expect(f.shape).toEqual([2, 3]);
    expect(Array.from(f.data)).toEqual([1, 2, 3, 4, 5, 6]);
    // Rank 3, 2x3x2: element (i,j,k) = 100i + 10j + k, stored with i fastest.
    const src: number[] = [];
    for (let k = 0; k < 2; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) src.push(100 * i + 10 * j + k);
    const f3 = parseNpy(craft(dicts('>f8', 'True', '(2, 3, 2)'), bigEndian(src, 8)));
    const want: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 2; k++) want.push(100 * i + 10 * j + k);
    expect(Array.from(f3.data)).toEqual(want);
  });

  it('accepts the header forms numpy and Python may write: key order, spacing, (n, m,)', () => {
    const h = "{ 'shape' :(2,3,) ,'fortran_order':False,'descr':'<f4'}";
    const r = parseNpy(craft(h, bytesOf(new Float32Array(6))));
    expect(r.shape).toEqual([2, 3]);
    const v2 = parseNpy(craft(dicts('<f8', 'False', '(1,)'), bytesOf(new Float64Array([7])), 2));
    expect(Array.from(v2.data)).toEqual([7]);
    const v3 = parseNpy(craft(dicts('<f8', 'False', '()'), bytesOf(new Float64Array([8])), 3));
    expect(Array.from(v3.data)).toEqual([8]);
  });

  it('allows up to 64 dimensions, as numpy does, so the header always fits version 1.0', () => {
    const shape = new Array(64).fill(1);
    const bytes = formatNpy(new Float64Array([4]), shape);
    expect(bytes[6]).toBe(1);
    expect(parseNpy(bytes).shape).toEqual(shape);
    expect(() => formatNpy(new Float64Array(1), new Array(65).fill(1))).toThrow(/formatNpy: argument shape must be at most 64 dimensions/);
    const tooDeep = craft(dicts('<f8', 'False', `(${new Array(65).fill(1).join(', ')})`), new Uint8Array(8));
    expect(() => parseNpy(tooDeep, 'deep.npy')).toThrow(/deep\.npy: malformed header at offset \d+: more than 64 dimensions/);
  });

  it('validates its arguments, naming them', () => {
    expect(() => formatNpy(new Float64Array(6), [2, 4])).toThrow(/formatNpy: argument shape .*product equals data.length \(6\).*\[2, 4\]/);
    expect(() => formatNpy(new Float64Array(6), [2, -3])).toThrow(RangeError);
    expect(() => formatNpy(new Float64Array(6), [2, 3.5])).toThrow(TypeError);
    expect(() => formatNpy([1, 2] as never, [2])).toThrow(/formatNpy: argument data must be a Float32Array or Float64Array/);
    expect(() => formatNpy(new Float64Array(1), 1 as never)).toThrow(TypeError);
    expect(() => parseNpy('x' as never)).toThrow(/parseNpy: argument bytes must be a Uint8Array/);
  });
});

// ---------------------------------------------------------------------------------------------
// Errors.

describe('parseNpy errors', () => {
  const good = formatNpy(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);

  it('bad magic', () => {
    expect(() => parseNpy(new TextEncoder().encode('PK\x03\x04 not numpy at all'), 'A.npy')).toThrow(
      /parseNpy: A\.npy: not a \.npy file: bad magic \(expected 93 4e 55 4d 50 59 .*got 50 4b 03 04 20 6e\)/,
    );
    expect(() => parseNpy(new Uint8Array(0), 'empty.npy')).toThrow(/empty\.npy: not a \.npy file: bad magic .*got nothing/);
  });

  it('unsupported version', () => {
    const v = good.slice();
    v[6] = 4;
    expect(() => parseNpy(v, 'v.npy')).toThrow(/parseNpy: v\.npy: unsupported \.npy format version 4\.0; supported: 1\.0, 2\.0, 3\.0/);
    v[6] = 1;
    v[7] = 1;
    expect(() => parseNpy(v, 'v.npy')).toThrow(/version 1\.1/);
  });

  it('unsupported dtype names it and lists the supported ones', () => {
    const f = craft(dicts('<i8', 'False', '(2,)'), new Uint8Array(16));
    expect(() => parseNpy(f, 'ints.npy')).toThrow(
      "parseNpy: ints.npy: unsupported dtype '<i8'; supported descr: '<f4', '<f8', '>f4', '>f8' (float32, float64)",
    );
    expect(() => parseNpy(craft(dicts('<f2', 'False', '(2,)'), new Uint8Array(4)))).toThrow(/unsupported dtype '<f2'/);
    expect(() => parseNpy(craft("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), 's.npy')).toThrow(
      /s\.npy: unsupported dtype: structured arrays/,
    );
  });

  it('truncated data and truncated header', () => {
    expect(() => parseNpy(good.subarray(0, good.length - 5), 't.npy')).toThrow(
      'parseNpy: t.npy: truncated data: shape (2, 3) of <f8 needs 48 bytes, got 43',
    );
    expect(() => parseNpy(good.subarray(0, 100), 't.npy')).toThrow(/t\.npy: truncated header: header length says 118 bytes, only 90 present/);
    expect(() => parseNpy(good.subarray(0, 9), 't.npy')).toThrow(/truncated header: expected at least 10 bytes, got 9/);
    const huge = craft(dicts('<f8', 'False', '(9007199254740991, 9007199254740991)'));
    expect(() => parseNpy(huge, 'h.npy')).toThrow(/h\.npy: truncated data: shape .* needs more than 2\^53 bytes, got 0/);
  });

  it('trailing garbage', () => {
    const extra = new Uint8Array(good.length + 7);
    extra.set(good);
    expect(() => parseNpy(extra, 'g.npy')).toThrow('parseNpy: g.npy: trailing garbage: 7 bytes after the 48 bytes of data');
  });

  it('malformed headers say where', () => {
    const bad = (h: string, re: RegExp) => expect(() => parseNpy(craft(h), 'm.npy')).toThrow(re);
    bad("{'descr': '<f8', 'fortran_order': False, 'shape': (3), }", /m\.npy: malformed header at offset 52: a 1-tuple needs a trailing comma/);
    bad("{'descr': '<f8', 'fortran_order': false, 'shape': (3,), }", /malformed header at offset 34: expected a string, True, False or a tuple of integers \(near "false/);
    bad("{'descr': '<f8', 'fortran_order': False, 'shape': (3, -1), }", /offset 54: expected a non-negative integer/);
    bad("{'descr': '<f8', 'fortran_order': False, 'shape': (03,), }", /offset 51: integers may not have leading zeros/);
    bad("{'descr': '<f8', 'fortran_order': False, 'shape': (3 4), }", /offset 53: expected ',' or '\)' in tuple/);
    bad("{'descr': '<f8, 'fortran_order': False}", /expected ',' or '}' in dict/);
    bad("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'x': True}", /unexpected key "x"; expected exactly 'descr', 'fortran_order', 'shape'/);
    bad("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (3,)}", /offset 17: duplicate key 'descr'/);
    bad("{'descr': '<f8', 'fortran_order': False}", /malformed header: missing key 'shape'/);
    bad("{'descr': '<f8', 'fortran_order': 'no', 'shape': ()}", /'fortran_order' must be True or False/);
    bad("{'descr': True, 'fortran_order': False, 'shape': ()}", /'descr' must be a string/);
    bad("{'descr': '<f8', 'fortran_order': False, 'shape': '3'}", /'shape' must be a tuple of integers/);
    bad("{'descr': '<f8', 'fortran_order': False, 'shape': ()} x", /offset 54: unexpected text after the dict/);
    bad("['descr']", /offset 0: expected '\{'/);
    bad("{\"descr\": '<f8'}", /offset 1: expected a single-quoted string/);
    bad("{'descr': '<f8", /malformed header at offset 10: unterminated string \(near "'<f8 /);
    bad("{'de\\'scr': '<f8'}", /escape sequences in strings are not supported/);
    const v3 = craft("{'descr': '<f8'}", new Uint8Array(0), 3);
    v3[15] = 0xff;
    expect(() => parseNpy(v3, 'u.npy')).toThrow(/u\.npy: malformed header: not valid utf-8/);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz.

describe('fuzz', () => {
  it('2,000 mutated or truncated files each parse consistently or throw an Error', () => {
    const rand = mulberry32(20240611);
    const pick = (n: number) => Math.floor(rand() * n);
    const seeds = [
      formatNpy(sample(Float64Array, 12), [3, 4]),
      formatNpy(sample(Float32Array, 24), [2, 3, 4]),
      craft(dicts('>f8', 'True', '(2, 3)'), bigEndian([1, 2, 3, 4, 5, 6], 8)),
      craft(dicts('<f4', 'False', '()'), bytesOf(new Float32Array([1])), 2),
    ];
    const interesting = "(),:'{} 0123456789TrueFals<>f48\n\\[]";
    let parsed = 0;
    let threw = 0;
    const t0 = Date.now();
    for (let iter = 0; iter < 2000; iter++) {
      const base = seeds[pick(seeds.length)];
      let f: Uint8Array = base.slice();
      const edits = 1 + pick(4);
      for (let e = 0; e < edits; e++) {
        const kind = pick(6);
        if (kind === 0) f = f.slice(0, pick(f.length + 1)); // truncate
        else if (kind === 1 && f.length) f[pick(f.length)] = pick(256); // random byte
        else if (kind === 2 && f.length) f[pick(Math.min(f.length, 140))] = interesting.charCodeAt(pick(interesting.length)); // header char
        else if (kind === 3 && f.length > 11) f[8 + pick(4)] = pick(256); // header length / version
        else if (kind === 4) {
          const at = pick(f.length + 1); // insert bytes
          const ins = Uint8Array.from({ length: 1 + pick(9) }, () => pick(256));
          f = Uint8Array.from([...f.subarray(0, at), ...ins, ...f.subarray(at)]);
        } else if (f.length) {
          const at = pick(f.length); // delete a run
          f = Uint8Array.from([...f.subarray(0, at), ...f.subarray(at + 1 + pick(8))]);
        }
      }
      try {
        const r = parseNpy(f, 'fuzz');
        parsed++;
        expect(r.data.length).toBe(prod(r.shape));
        expect(r.data).toBeInstanceOf(r.dtype === 'float32' ? Float32Array : Float64Array);
        expect(r.shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
      } catch (err) {
        threw++;
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toMatch(/^parseNpy: fuzz: \S/);
      }
    }
    expect(parsed + threw).toBe(2000);
    expect(parsed).toBeGreaterThan(0);
    expect(threw).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

// ---------------------------------------------------------------------------------------------
// Cross-checks against numpy.

const numpyCheck = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const numpySkip =
  numpyCheck.error || numpyCheck.status !== 0
    ? `python3 -c "import numpy" failed (${numpyCheck.error?.message ?? numpyCheck.stderr.trim().split('\n').pop()})`
    : '';
if (numpySkip) console.warn(`npy.test.ts: skipping numpy cross-checks: ${numpySkip}`);

const FIXTURES = String.raw`
import json, sys, numpy as np
from numpy.lib import format as fmt
d = sys.argv[1]
rng = np.random.default_rng(0)
out = []
def put(name, a, version=None):
    path = f"{d}/{name}.npy"
    if version is None:
        np.save(path, a)
    else:
        with open(path, "wb") as f:
            fmt.write_array(f, a, version=version)
    c = np.ascontiguousarray(a).astype(a.dtype.newbyteorder('<'))
    with open(f"{d}/{name}.bin", "wb") as f:
        f.write(c.tobytes(order="C"))
    out.append({"name": name, "shape": list(a.shape), "dtype": {4: "float32", 8: "float64"}[a.dtype.itemsize]})
m34 = rng.standard_normal((3, 4))
t234 = rng.standard_normal((2, 3, 4))
put("c_f8_3x4", m34)
put("c_f4_2x3x4", t234.astype(np.float32))
put("f_f8_3x4", np.asfortranarray(m34))
put("f_f4_3x4", np.asfortranarray(m34.astype(np.float32)))
put("f_f8_2x3x4", np.asfortranarray(t234))
put("be_f8_3x4", m34.astype(">f8"))
put("be_f4_5", rng.standard_normal(5).astype(">f4"))
put("be_f8_fortran_4x3", np.asfortranarray(m34.T.astype(">f8")))
put("v2_f8_3x4", m34, (2, 0))
put("v3_f4_2x3x4", t234.astype(np.float32), (3, 0))
put("scalar_f8", np.array(3.5))
put("one_f4", np.array([2.25], dtype=np.float32))
put("empty_f8_1x0", np.zeros((1, 0)))
put("empty_f4_0", np.zeros(0, dtype=np.float32))
put("special_f8", np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, 1.7976931348623157e308]))
put("fortran_special_f4_2x2", np.asfortranarray(np.array([[np.nan, -0.0], [1e-45, np.inf]], dtype=np.float32)))
print(json.dumps(out))
`;

const VERIFY = String.raw`
import json, sys, io, numpy as np
from numpy.lib import format as fmt
d = sys.argv[1]
res = []
for item in json.loads(sys.argv[2]):
    path = f"{d}/{item['name']}"
    a = np.load(path + ".npy")
    raw = open(path + ".bin", "rb").read()
    want = np.dtype("<f4" if item["dtype"] == "float32" else "<f8")
    buf = io.BytesIO()
    np.save(buf, a)
    res.append({
        "name": item["name"],
        "dtype_ok": a.dtype == want,
        "shape": list(a.shape),
        "c_order": bool(a.flags.c_contiguous),
        "bits_equal": a.tobytes() == raw,
        "same_bytes_as_np_save": buf.getvalue() == open(path + ".npy", "rb").read(),
        "numpy_has_growth_padding": hasattr(fmt, "GROWTH_AXIS_MAX_DIGITS"),
    })
print(json.dumps(res))
`;

describe.skipIf(!!numpySkip)(`numpy cross-checks${numpySkip ? ` (skipped: ${numpySkip})` : ''}`, () => {
  it('reads what np.save and np.lib.format.write_array write, bit for bit', async () => {
    const fx = join(dir, 'from-numpy');
    await mkdir(fx);
    const list = JSON.parse(execFileSync('python3', ['-c', FIXTURES, fx], { encoding: 'utf8' })) as {
      name: string;
      shape: number[];
      dtype: string;
    }[];
    expect(list.length).toBe(16);
    for (const item of list) {
      const got = await readNpyFile(join(fx, `${item.name}.npy`));
      const want = new Uint8Array(await readFile(join(fx, `${item.name}.bin`)));
      expect({ name: item.name, dtype: got.dtype, shape: got.shape }).toEqual({ name: item.name, dtype: item.dtype, shape: item.shape });
      expect(got.data.length).toBe(prod(item.shape));
      expect(bytesOf(got.data), item.name).toEqual(want);
    }
    // The version bytes really were what the names say.
    expect((await readFile(join(fx, 'v2_f8_3x4.npy')))[6]).toBe(2);
    expect((await readFile(join(fx, 'v3_f4_2x3x4.npy')))[6]).toBe(3);
  });

  it('writes files np.load reads back exactly, byte-identical to np.save', async () => {
    const fx = join(dir, 'to-numpy');
    await mkdir(fx);
    const items: { name: string; shape: number[]; dtype: string }[] = [];
    for (const T of [Float32Array, Float64Array]) {
      for (const shape of SHAPES) {
        const name = `${T.name}_${shape.join('x') || 'scalar'}`;
        const data = sample(T, prod(shape), 99 + shape.length);
        if (data.length > 1) data[1] = NaN;
        if (data.length > 2) data[2] = -0;
        await writeNpyFile(join(fx, `${name}.npy`), data, shape);
        await writeFile(join(fx, `${name}.bin`), bytesOf(data));
        items.push({ name, shape, dtype: T === Float32Array ? 'float32' : 'float64' });
      }
    }
    const res = JSON.parse(execFileSync('python3', ['-c', VERIFY, fx, JSON.stringify(items)], { encoding: 'utf8' })) as Record<string, unknown>[];
    expect(res.length).toBe(items.length);
    res.forEach((r, i) => {
      expect(r.dtype_ok, r.name as string).toBe(true);
      expect(r.shape).toEqual(items[i].shape);
      expect(r.c_order).toBe(true);
      expect(r.bits_equal, r.name as string).toBe(true);
      // Older numpy (before the growth-axis padding) pads headers differently; only compare
      // bytes where numpy has it.
      if (r.numpy_has_growth_padding) expect(r.same_bytes_as_np_save, r.name as string).toBe(true);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Files: atomic writes and protected inputs.

async function leftovers(d: string): Promise<string[]> {
  return (await readdir(d)).filter((f) => f.endsWith('.tmp'));
}

describe('readNpyFile / writeNpyFile', () => {
  it('round-trips through a file and names the path in parse errors', async () => {
    const d = await mkdtemp(join(dir, 'rt-'));
    const p = join(d, 'x.npy');
    const data = sample(Float32Array, 12);
    await writeNpyFile(p, data, [3, 4]);
    const back = await readNpyFile(p);
    expect(back.shape).toEqual([3, 4]);
    expect(bytesOf(back.data)).toEqual(bytesOf(data));
    await writeFile(join(d, 'bad.npy'), 'hello');
    await expect(readNpyFile(join(d, 'bad.npy'))).rejects.toThrow(`parseNpy: ${join(d, 'bad.npy')}: not a .npy file: bad magic`);
    expect(await leftovers(d)).toEqual([]);
  });

  it('replaces an existing file, keeping a symlink to it as a link', async () => {
    const d = await mkdtemp(join(dir, 'replace-'));
    const p = join(d, 'x.npy');
    await writeNpyFile(p, new Float64Array([1, 2]), [2]);
    await symlink('x.npy', join(d, 'link.npy'));
    await writeNpyFile(join(d, 'link.npy'), new Float64Array([3, 4, 5]), [3]);
    expect(Array.from((await readNpyFile(p)).data)).toEqual([3, 4, 5]);
    expect((await lstat(join(d, 'link.npy'))).isSymbolicLink()).toBe(true);
    expect(await leftovers(d)).toEqual([]);
  });

  it('fails cleanly when the directory is missing', async () => {
    const d = await mkdtemp(join(dir, 'missing-'));
    await expect(writeNpyFile(join(d, 'no', 'such', 'x.npy'), new Float64Array(1), [1])).rejects.toThrow(/ENOENT/);
    expect(await readdir(d)).toEqual([]);
  });

  it('leaves the target unchanged and no temp file when the final rename fails', async () => {
    const d = await mkdtemp(join(dir, 'rename-'));
    const target = join(d, 'out.npy');
    await mkdir(target); // a non-empty directory where the file should go: rename must fail
    await writeFile(join(target, 'keep.txt'), 'keep');
    await expect(writeFileAtomic(target, new Uint8Array([1, 2, 3]))).rejects.toThrow();
    expect(await leftovers(d)).toEqual([]);
    expect(await readdir(target)).toEqual(['keep.txt']);
    expect((await stat(target)).isDirectory()).toBe(true);
  });

  it('validates data and shape before touching an existing file', async () => {
    const d = await mkdtemp(join(dir, 'validate-'));
    const p = join(d, 'x.npy');
    await writeNpyFile(p, new Float64Array([1, 2]), [2]);
    const before = await readFile(p);
    await expect(writeNpyFile(p, new Float64Array([1, 2, 3]), [2])).rejects.toThrow(/formatNpy: argument shape/);
    expect(await readFile(p)).toEqual(before);
    expect(await leftovers(d)).toEqual([]);
  });

  it('refuses to overwrite a protected input, however the path is spelled', async () => {
    const d = await mkdtemp(join(dir, 'protect-'));
    const input = join(d, 'A.npy');
    await writeNpyFile(input, new Float64Array([1, 2, 3, 4]), [2, 2]);
    const before = await readFile(input);
    await symlink('A.npy', join(d, 'alias.npy'));
    await link(input, join(d, 'hard.npy'));
    const out = new Float64Array([9]);
    await mkdir(join(d, 'sub'));
    const tries = [input, `${d}/./sub/../A.npy`, relative(process.cwd(), input), join(d, 'alias.npy'), join(d, 'hard.npy')];
    for (const path of tries) {
      await expect(writeNpyFile(path, out, [1], { protect: [input] }), path).rejects.toThrow(RangeError);
      await expect(writeNpyFile(path, out, [1], { protect: [join(d, 'y.npy'), input] })).rejects.toThrow(
        `writeNpyFile: argument path ${JSON.stringify(path)} is the input ${JSON.stringify(input)}; refusing to overwrite an input`,
      );
    }
    // Protecting through the symlink protects the file it points to.
    await expect(writeNpyFile(input, out, [1], { protect: [join(d, 'alias.npy')] })).rejects.toThrow(/refusing to overwrite an input/);
    expect(await readFile(input)).toEqual(before);
    expect(await leftovers(d)).toEqual([]);
    // Another path is fine.
    await writeNpyFile(join(d, 'B.npy'), out, [1], { protect: [input] });
    expect(Array.from((await readNpyFile(join(d, 'B.npy'))).data)).toEqual([9]);
    await expect(writeNpyFile(join(d, 'C.npy'), out, [1], { protect: 'A.npy' as never })).rejects.toThrow(TypeError);
  });
});

describe('package exports', () => {
  it('src/index.ts exports parseNpy and formatNpy but not the Node file helpers', async () => {
    const lib = (await import('../../src/index.js')) as Record<string, unknown>;
    expect(lib.parseNpy).toBe(parseNpy);
    expect(lib.formatNpy).toBe(formatNpy);
    expect(lib.readNpyFile).toBeUndefined();
    expect(lib.writeNpyFile).toBeUndefined();
  });
});
