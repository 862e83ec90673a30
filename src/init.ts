// init(): choose and start a backend, return the Linalg object that runs kernels on it.
import { BackendRegistry } from './backends/registry.js';
import { ReferenceBackend } from './backends/reference/backend.js';
import { WasmBackend, type WasmOptions } from './backends/wasm/backend.js';
import { typeError } from './core/errors.js';
import { Linalg } from './linalg/linalg.js';

/** Options of init(). */
export interface InitOptions extends WasmOptions {
  /** Backend name or names to try in order (default: every registered backend, best first). */
  backend?: string | string[];
  /** Where warnings go (default console.warn). */
  warn?: (message: string) => void;
}

/**
 * The registry init() resolves from. Priorities: wasm-relaxed (relaxed-SIMD FMA build) 30,
 * wasm-simd 20, reference (pure TypeScript) 0. A WebGPU backend registers here later.
 */
export function defaultRegistry(options: WasmOptions = {}): BackendRegistry {
  const registry = new BackendRegistry();
  registry.register('wasm-relaxed', () => WasmBackend.create('relaxed', options), 30);
  registry.register('wasm-simd', () => WasmBackend.create('simd', options), 20);
  registry.register('reference', async () => new ReferenceBackend(), 0);
  return registry;
}

/**
 * Starts the best available backend (or the one named) and returns its Linalg.
 * @example
 * import { init } from 'iobs';
 * const la = await init();                      // wasm-relaxed, wasm-simd or reference
 * const la2 = await init({ backend: 'reference' });
 */
export async function init(options: InitOptions = {}): Promise<Linalg> {
  if (typeof options !== 'object' || options === null) throw typeError('init', 'options', options, 'an object');
  const wanted = options.backend === undefined ? [] : Array.isArray(options.backend) ? options.backend : [options.backend];
  for (const name of wanted) if (typeof name !== 'string') throw typeError('init', 'backend', options.backend, 'a backend name or array of names');
  const { backend } = await defaultRegistry(options).resolve(wanted, options.warn);
  return new Linalg(backend);
}
