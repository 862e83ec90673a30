// A registry of backends in the manner of onnxruntime-web's backend-impl: each entry has a
// priority and a lazy factory; resolve() tries them best-first, remembers a factory that threw
// as aborted (with its reason), warns when a backend asked for by name was skipped, and when
// none works throws an error that lists every reason.
import type { BackendFactory, KernelBackend } from './types.js';

interface Entry {
  name: string;
  priority: number;
  factory: BackendFactory;
  /** Tried when no backend is named (false: only by name). */
  auto: boolean;
  /** Named and unavailable, it gives way to the automatic choice with a warning (resolve's fallback). */
  fallback: boolean;
}

/** Outcome of resolving a backend: the backend and the names skipped with their reasons. */
export interface Resolution {
  backend: KernelBackend;
  skipped: { name: string; reason: string }[];
}

export class BackendRegistry {
  private readonly entries = new Map<string, Entry>();

  /**
   * Adds (or replaces) a backend. Higher priority is tried first; with `auto: false` it is tried
   * only when asked for by name (the factory is told whether it was, as `named`).
   */
  register(name: string, factory: BackendFactory, priority: number, options: { auto?: boolean; fallback?: boolean } = {}): void {
    this.entries.set(name, { name, priority, factory, auto: options.auto ?? true, fallback: options.fallback ?? false });
  }

  /** Registered names, best first. */
  names(): string[] {
    return [...this.entries.values()].sort((a, b) => b.priority - a.priority).map((e) => e.name);
  }

  /**
   * Makes the first backend that initialises: from `wanted` in the order given, or from all
   * registered backends by priority when `wanted` is empty (those registered with auto: false left out). Each call makes a new backend
   * instance (instances own their memory and are never shared behind the caller's back).
   * When every named backend failed and one of them was registered with `fallback` (webgpu: no
   * GPU, no adapter, only a software one), the automatic choice follows with a warning that says
   * why, unless options.fallback is false. A named factory's argument error (a malformed option,
   * errors.ts kind 'argument') is thrown, never passed over.
   */
  async resolve(wanted: readonly string[] = [], warn: (msg: string) => void = console.warn, options: { fallback?: boolean } = {}): Promise<Resolution> {
    for (const name of wanted) {
      if (!this.entries.has(name)) {
        throw new RangeError(`init: argument backend names unknown backend ${JSON.stringify(name)}; known: ${this.names().join(', ')}`);
      }
    }
    const named = wanted.length > 0;
    const automatic = this.names().filter((n) => this.entries.get(n)!.auto);
    const order = named ? [...wanted] : automatic;
    if (named && options.fallback !== false && wanted.some((n) => this.entries.get(n)!.fallback)) {
      order.push(...automatic.filter((n) => !wanted.includes(n)));
    }
    const skipped: { name: string; reason: string }[] = [];
    for (const name of order) {
      const entry = this.entries.get(name)!;
      try {
        const backend = await entry.factory({ named: named && wanted.includes(name) });
        if (named && skipped.length > 0) {
          warn(`iobs: backend ${skipped.map((s) => `${s.name} (${s.reason})`).join(', ')} unavailable; using ${name}`);
        }
        return { backend, skipped };
      } catch (err) {
        if ((err as { kind?: unknown })?.kind === 'argument' && named && wanted.includes(name)) throw err;
        skipped.push({ name, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    throw new Error(`iobs: no backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
  }
}
