/// <reference types="@webgpu/types" />
// Kernels that have no WGSL yet run on a host backend (Wasm, or the reference) over mirrors of
// their operands: for each GPU buffer the call's matrices live in, the byte span they cover is
// read back, copied into host storage at the same relative layout, the host kernel runs there,
// and the bytes it changed are written back to the buffer. The result is the host kernel's, bit
// for bit; the cost is the transfers, which is why the backend lists these kernels
// (WebGpuBackend.hostKernels) and why the heavy ones move to WGSL first.
import { bytesPer } from '../../core/dtype.js';
import { Matrix, type Storage } from '../../core/matrix.js';
import type { KernelBackend } from '../types.js';
import type { Programs } from './program.js';
import { GpuStorage } from './storage.js';

/** Where the matrices of one call live in one buffer: the span read back and its host copy. */
interface Mirror {
  storage: GpuStorage;
  start: number;
  end: number;
  host: Storage | null;
  before: Uint8Array | null;
}

/** Every matrix among a call's arguments (top level, or the fields of an argument object such as ExchangeTrajectories). */
function matricesOf(args: readonly unknown[]): Matrix<any>[] {
  const out: Matrix<any>[] = [];
  for (const a of args) {
    if (a instanceof Matrix) out.push(a);
    else if (a !== null && typeof a === 'object' && !ArrayBuffer.isView(a)) {
      for (const v of Object.values(a)) if (v instanceof Matrix) out.push(v);
    }
  }
  return out;
}

/** The byte range [first, end) a matrix covers in its storage. */
function byteRange(M: Matrix<any>): [number, number] {
  const size = bytesPer(M.dtype);
  if (M.rows === 0 || M.cols === 0) return [M.offset * size, M.offset * size];
  return [M.offset * size, (M.offset + (M.rows - 1) * M.stride + M.cols) * size];
}

/**
 * Runs host[name](...args) with every matrix argument of `owner` replaced by its host mirror,
 * then writes back what changed. Matrices of other owners are refused by the facade before this.
 */
export async function runOnHost(programs: Programs, host: KernelBackend, name: keyof KernelBackend, args: readonly unknown[]): Promise<unknown> {
  const mats = matricesOf(args);
  const mirrors = new Map<GpuStorage, Mirror>();
  for (const M of mats) {
    const s = M.storage;
    if (!(s instanceof GpuStorage)) throw new Error(`iobs webgpu: a ${M.rows}x${M.cols} ${M.dtype} matrix of backend ${s.owner} passed to the webgpu backend`);
    if (s.released) throw new Error('iobs: use of a matrix after free()');
    const [a, b] = byteRange(M);
    const m = mirrors.get(s);
    if (m) {
      m.start = Math.min(m.start, a);
      m.end = Math.max(m.end, b);
    } else mirrors.set(s, { storage: s, start: a, end: b, host: null, before: null });
  }
  const list = [...mirrors.values()];
  for (const m of list) {
    // Start on an 8-byte boundary (every dtype's element offsets stay whole), end on a 4-byte
    // one (copies move whole words); buffers are whole 256-byte classes, so both fit.
    m.start = Math.floor(m.start / 8) * 8;
    m.end = Math.min(m.storage.buffer.size, Math.ceil(m.end / 4) * 4);
  }
  const bytes = await programs.read(list.map((m) => ({ buffer: m.storage.buffer, start: m.start, end: m.end })));
  try {
    for (const m of list) m.host = host.allocate(Math.max(8, m.end - m.start));
    // Host views are made after every allocation (a Wasm memory moves when it grows).
    list.forEach((m, i) => {
      hostView(host, m.host!).set(bytes[i]);
      m.before = bytes[i];
    });
    const swap = (M: Matrix<any>): Matrix<any> => {
      const m = mirrors.get(M.storage as GpuStorage)!;
      const size = bytesPer(M.dtype);
      return new Matrix(m.host!, M.dtype, M.rows, M.cols, M.stride, M.offset - m.start / size);
    };
    const hostArgs = args.map((a) => {
      if (a instanceof Matrix) return swap(a);
      if (a !== null && typeof a === 'object' && !ArrayBuffer.isView(a) && Object.values(a).some((v) => v instanceof Matrix)) {
        return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v instanceof Matrix ? swap(v) : v]));
      }
      return a;
    });
    const fn = host[name] as unknown as (...xs: unknown[]) => unknown;
    const result = await fn.apply(host, hostArgs);
    for (const m of list) {
      const now = hostView(host, m.host!).subarray(0, m.end - m.start);
      const before = m.before!;
      let first = 0, last = now.length;
      while (first < last && now[first] === before[first]) first++;
      while (last > first && now[last - 1] === before[last - 1]) last--;
      if (first === last) continue;
      first = Math.floor(first / 4) * 4;
      last = Math.min(now.length, Math.ceil(last / 4) * 4);
      programs.write(m.storage.buffer, m.start + first, now.slice(first, last));
    }
    return result;
  } finally {
    for (const m of list) m.host?.release();
  }
}

/** The bytes of host storage (a Wasm backend's live memory, or the reference's ArrayBuffer). */
function hostView(host: KernelBackend, s: Storage): Uint8Array {
  if (host.hostBytes) return host.hostBytes(new Matrix(s, 'uint8', 1, s.byteLength));
  return s.view('uint8');
}
