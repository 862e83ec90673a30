// init(): choose and start a backend, return the Linalg object that runs kernels on it.
import { BackendRegistry } from './backends/registry.js';
import { ReferenceBackend } from './backends/reference/backend.js';
import { WasmBackend, type WasmOptions } from './backends/wasm/backend.js';
import { WebGpuBackend } from './backends/webgpu/backend.js';
import { type WebGpuOptions, checkWebGpuOptions } from './backends/webgpu/options.js';
import { typeError } from './core/errors.js';
import { Linalg } from './linalg/linalg.js';

/** Options of init(). */
export interface InitOptions extends WasmOptions, WebGpuOptions {
  /** Backend name or names to try in order (default: every registered backend, best first). */
  backend?: string | string[];
  /** Where warnings go (default console.warn). */
  warn?: (message: string) => void;
  /**
   * webgpu asked for and unavailable (no GPU, no adapter, only a software one not allowed): go on
   * with the best Wasm backend and warn why (default true), or throw (false: tests that must run
   * on the GPU).
   */
  fallback?: boolean;
}

/** The host backends: Wasm builds, then the pure TypeScript reference. */
function hostRegistry(options: WasmOptions): BackendRegistry {
  const registry = new BackendRegistry();
  registry.register('wasm-relaxed', () => WasmBackend.create('relaxed', options), 30);
  registry.register('wasm-simd', () => WasmBackend.create('simd', options), 20);
  registry.register('reference', async () => new ReferenceBackend(), 0);
  return registry;
}

/**
 * The registry init() resolves from. Priorities: wasm-relaxed (relaxed-SIMD FMA build) 30,
 * wasm-simd 20, reference (pure TypeScript) 0. webgpu (priority 40) is used only when asked for
 * by name for now: most of its kernels still run on a host backend over mirrors of their
 * operands, so automatic choice waits for the WGSL kernels and a size threshold measured on a
 * real GPU. Asked for by name it accepts a software adapter (tests); its host backend is the
 * best Wasm build.
 */
export function defaultRegistry(options: WasmOptions & WebGpuOptions = {}): BackendRegistry {
  checkWebGpuOptions('defaultRegistry', options);
  const registry = hostRegistry(options);
  registry.register('webgpu', ({ named }) => WebGpuBackend.create(options, named, async () => (await hostRegistry(options).resolve([], () => {})).backend), 40, { auto: false, fallback: true });
  return registry;
}

/**
 * Starts the best available backend (or the one named) and returns its Linalg.
 * @example
 * import { init } from 'iobs';
 * const la = await init();                      // wasm-relaxed, wasm-simd or reference
 * const la2 = await init({ backend: 'reference' });
 * const gpu = await init({ backend: 'webgpu' });   // WebGPU, else the best Wasm build with a warning that says why
 */
export async function init(options: InitOptions = {}): Promise<Linalg> {
  if (typeof options !== 'object' || options === null) throw typeError('init', 'options', options, 'an object');
  const wanted = options.backend === undefined ? [] : Array.isArray(options.backend) ? options.backend : [options.backend];
  for (const name of wanted) if (typeof name !== 'string') throw typeError('init', 'backend', options.backend, 'a backend name or array of names');
  if (options.fallback !== undefined && typeof options.fallback !== 'boolean') throw typeError('init', 'fallback', options.fallback, 'a boolean');
  checkWebGpuOptions('init', options);
  const { backend } = await defaultRegistry(options).resolve(wanted, options.warn, { fallback: options.fallback });
  return new Linalg(backend);
}
