/// <reference types="@webgpu/types" />
// Finding a WebGPU device: the GPU object comes from the caller (options.gpu), from the runtime
// (navigator.gpu in browsers and Deno) or, in Node, from the optional `webgpu` package (Dawn).
// A software adapter (SwiftShader, lavapipe, llvmpipe, WARP: adapter.info.isFallbackAdapter, or
// a CPU device type) is refused unless the caller allows it; the registry allows it only when the
// backend was asked for by name, so tests reach it and init() never picks it on its own.
import { typeError } from '../../core/errors.js';
import type { WebGpuOptions } from './options.js';

export type { WebGpuOptions };

/** What a backend knows about the device it runs on. */
export interface DeviceInfo {
  /** Adapter vendor / architecture / description, as the adapter reports them. */
  vendor: string;
  architecture: string;
  description: string;
  /** True for a software adapter. */
  software: boolean;
  /** Where the GPU object came from: 'option', 'navigator' or 'webgpu package'. */
  source: string;
}

/** Describes the adapter in a few words (for messages and the bench). */
export function describeAdapter(info: DeviceInfo): string {
  const words = [info.vendor, info.architecture, info.description].filter((s) => s && s.length > 0);
  return `${words.length > 0 ? words.join(' ') : 'unnamed adapter'}${info.software ? ' (software)' : ''}`;
}

/** True when an adapter's info says it runs on the CPU. */
export function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  if (info?.isFallbackAdapter === true) return true;
  if ((adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true) return true;
  const text = `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.description ?? ''} ${(info as { device?: string })?.device ?? ''}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|warp/.test(text);
}

/** The GPU object: the option, navigator.gpu, or the Node `webgpu` package. Throws with the reason. */
async function findGpu(options: WebGpuOptions): Promise<{ gpu: GPU; source: string }> {
  if (options.gpu !== undefined) {
    const g = options.gpu as GPU;
    if (typeof g !== 'object' || g === null || typeof g.requestAdapter !== 'function') {
      throw typeError('init', 'gpu', options.gpu, 'a GPU object with requestAdapter() (navigator.gpu, or create([]) of the webgpu package)');
    }
    return { gpu: g, source: 'option' };
  }
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu && typeof nav.gpu.requestAdapter === 'function') return { gpu: nav.gpu, source: 'navigator' };
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (proc?.versions?.node && !(globalThis as { Deno?: unknown }).Deno) {
    // Node has no navigator.gpu: the optional `webgpu` package (Dawn) provides one. The specifier
    // is a variable so that bundlers leave this import alone for browser builds.
    const specifier = 'webgpu';
    let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
    try {
      mod = await import(/* @vite-ignore */ specifier);
    } catch (err) {
      throw new Error(`no navigator.gpu, and the optional package "webgpu" (Dawn for Node) could not be loaded: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}; npm install webgpu`);
    }
    // Dawn's constants (GPUBufferUsage, GPUMapMode, …) are globals in browsers; add any missing.
    const g = globalThis as Record<string, unknown>;
    for (const [k, v] of Object.entries(mod.globals)) if (!(k in g)) g[k] = v;
    return { gpu: mod.create([]), source: 'webgpu package' };
  }
  throw new Error('this runtime has no navigator.gpu (WebGPU is not available)');
}

/** An adapter and its device, with the limits this backend asked for. */
export interface AcquiredDevice {
  /** The GPU object (kept alive with the device: Dawn's instance must outlive it). */
  gpu: GPU;
  device: GPUDevice;
  info: DeviceInfo;
}

/**
 * Requests an adapter and a device with the adapter's largest buffer limits. Throws (for the
 * registry's message) when there is no GPU, no adapter, a software adapter not allowed, or the
 * device request fails.
 */
export async function acquireDevice(options: WebGpuOptions, allowSoftware: boolean): Promise<AcquiredDevice> {
  const { gpu, source } = await findGpu(options);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(`no WebGPU adapter (${source} gave none)`);
  const raw = adapter.info;
  const info: DeviceInfo = {
    vendor: raw?.vendor ?? '',
    architecture: raw?.architecture ?? '',
    description: raw?.description ?? '',
    software: isSoftwareAdapter(adapter),
    source,
  };
  if (info.software && !(options.allowSoftwareAdapter ?? allowSoftware)) {
    throw new Error(`the only WebGPU adapter is a software one (${describeAdapter(info)}); it is used only when backend 'webgpu' is asked for by name`);
  }
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  return { gpu, device, info };
}
