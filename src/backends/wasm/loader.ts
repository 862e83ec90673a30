// Finds, fetches and instantiates the kernel module. Features are probed, not assumed:
// WebAssembly.validate on two tiny modules tells plain SIMD and relaxed SIMD apart, and the
// matching .wasm is loaded. Node reads file: URLs with fs; Deno and browsers fetch.

/** The two builds of assembly/: one with relaxed-SIMD fused multiply-add, one without. */
export type WasmVariant = 'relaxed' | 'simd';

/** Where the .wasm files are, or their bytes; given to init() before anything loads. */
export interface WasmSource {
  /** Folder (URL or path ending in '/') holding iobs-simd.wasm and iobs-relaxed.wasm. */
  wasmPaths?: string | URL;
  /** The module itself (bytes or compiled) for the chosen variant; skips fetching. */
  wasmBinary?: BufferSource | WebAssembly.Module;
}

// (func (result v128) v128.const 0)
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

// (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 133, 2, 11,
]);

/** Whether this engine runs Wasm SIMD, and relaxed SIMD. */
export function probeFeatures(): { simd: boolean; relaxedSimd: boolean } {
  const simd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  return { simd, relaxedSimd: simd && WebAssembly.validate(RELAXED_PROBE) };
}

function defaultUrl(variant: WasmVariant): URL {
  // Literal `new URL('./x.wasm', import.meta.url)` forms, so bundlers see the assets.
  return variant === 'relaxed'
    ? new URL('./iobs-relaxed.wasm', import.meta.url)
    : new URL('./iobs-simd.wasm', import.meta.url);
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string' && !('Deno' in globalThis);
}

function fileUrl(variant: WasmVariant, paths?: string | URL): URL {
  if (paths === undefined) return defaultUrl(variant);
  const base = paths instanceof URL ? paths.href : paths;
  const folder = base.endsWith('/') ? base : base + '/';
  const name = `iobs-${variant}.wasm`;
  try {
    return new URL(name, folder);
  } catch {
    // A plain path: resolve against the working directory in Node, the page elsewhere.
    if (isNode()) {
      const cwd = (globalThis as unknown as { process: { cwd(): string } }).process.cwd();
      return new URL(name, new URL(folder, `file://${cwd.endsWith('/') ? cwd : cwd + '/'}`));
    }
    return new URL(name, new URL(folder, (globalThis as { location?: { href: string } }).location?.href));
  }
}

async function compileFrom(url: URL): Promise<WebAssembly.Module> {
  if (url.protocol === 'file:' && isNode()) {
    const { readFile } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    return WebAssembly.compile(await readFile(fileURLToPath(url)));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url.href} failed: ${response.status} ${response.statusText}`);
  if (typeof WebAssembly.compileStreaming === 'function' && response.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Compiles the module for a variant from the given source or from next to this script. */
export async function compileKernels(variant: WasmVariant, source: WasmSource = {}): Promise<WebAssembly.Module> {
  const features = probeFeatures();
  if (!features.simd) throw new Error('WebAssembly SIMD is not supported by this engine');
  if (variant === 'relaxed' && !features.relaxedSimd) {
    throw new Error('WebAssembly relaxed SIMD is not supported by this engine (Node 20: --experimental-wasm-relaxed-simd)');
  }
  if (source.wasmBinary !== undefined) {
    return source.wasmBinary instanceof WebAssembly.Module ? source.wasmBinary : WebAssembly.compile(source.wasmBinary);
  }
  return compileFrom(fileUrl(variant, source.wasmPaths));
}
