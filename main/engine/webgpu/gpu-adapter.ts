/**
 * Finding and describing a WebGPU adapter, the same in Node (Dawn via the `webgpu`
 * package) and in a Chromium window (its own WebGPU). Nothing here loads tfjs.
 */
import { adapterLabel } from '../../../common/adapter-label';
import type { GpuAdapterInfo } from '../../../common/metrics';

/** The slice of the WebGPU API used here; structural, so no DOM WebGPU typings are needed. */
export interface AdapterLike {
  readonly isFallbackAdapter?: boolean;
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  requestDevice(descriptor?: unknown): Promise<unknown>;
}
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<AdapterLike | null>;
}

// Mesa's lavapipe/llvmpipe, Chromium's SwiftShader and Microsoft's WARP run on the CPU;
// some report themselves as fallback adapters, some only by name.
const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|\bwarp\b|microsoft basic render|\bcpu\b/i;

export function describeAdapter(adapter: AdapterLike): GpuAdapterInfo {
  const info = adapter.info ?? {};
  const described = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
  const fallback = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true;
  const named = SOFTWARE_NAMES.test(Object.values(described).join(' '));
  return { ...described, software: fallback || named };
}

/** Resolves with what `promise` resolves to, or rejects after `ms` saying what hung. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The adapter tfjs-backend-webgpu will pick (it asks for high-performance), or an error
 * saying why there is none. A software adapter is refused unless `allowSoftware`.
 */
export async function probeAdapter(gpu: GpuLike, allowSoftware: boolean, timeoutMs = 30_000): Promise<GpuAdapterInfo> {
  const adapter = await withTimeout(gpu.requestAdapter({ powerPreference: 'high-performance' }), timeoutMs, 'navigator.gpu.requestAdapter()');
  if (!adapter) throw new Error('no WebGPU adapter (navigator.gpu.requestAdapter() returned null; is a Vulkan/Metal/D3D12 driver installed?)');
  const info = describeAdapter(adapter);
  if (info.software && !allowSoftware) {
    throw new Error(`only a software WebGPU adapter (${adapterLabel(info)}); it is used only when forced (BATCHSCOPE_BACKEND=webgpu or the spec's backend 'webgpu')`);
  }
  return info;
}
