/**
 * Gives plain Node a `navigator.gpu` from Dawn (the npm package `webgpu`, prebuilt
 * dawn.node inside). tfjs-backend-webgpu registers itself only if navigator.gpu exists
 * when it is first imported, and uses the WebGPU globals (GPUBufferUsage, GPUMapMode …)
 * by name, so this must run before that import. In a browser window navigator.gpu is
 * native and this is a no-op.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { GpuLike } from './gpu-adapter';

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

const requireModule = createRequire(import.meta.url);

function navigatorGpu(): GpuLike | undefined {
  return (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
}

export async function installNodeWebGPU(): Promise<GpuLike> {
  const existing = navigatorGpu();
  if (existing) return existing;
  let dawn: DawnModule;
  try {
    // the package is ESM; its entry requires the platform's dawn.node
    dawn = (await import('webgpu')) as unknown as DawnModule;
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(`the 'webgpu' package (Dawn for Node) could not be loaded: ${why}`);
  }
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const gpu = dawn.create([]);
  const g = globalThis as { navigator?: object };
  if (g.navigator) {
    // Node ≥ 21 has a navigator object of its own
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  return gpu;
}

export function webgpuPackageVersion(): string {
  try {
    return (requireModule('webgpu/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * On Linux a hardware adapter needs a GPU device node: a DRM render node (Mesa, AMD,
 * Intel, nouveau), NVIDIA's, or WSL's /dev/dxg. Without one, Dawn could only offer a
 * software adapter, which the automatic chain refuses anyway; checking first spares
 * every worker Dawn's Vulkan enumeration (a second or more with lavapipe installed).
 * Elsewhere (macOS, Windows) the answer is always "ask Dawn".
 */
export function noGpuDeviceNodeReason(): string | null {
  if (process.platform !== 'linux') return null;
  const renderNodes = (() => {
    try {
      return readdirSync('/dev/dri').some((name) => name.startsWith('renderD'));
    } catch {
      return false;
    }
  })();
  if (renderNodes || existsSync('/dev/nvidia0') || existsSync('/dev/dxg')) return null;
  return 'no GPU device node (/dev/dri/renderD*, /dev/nvidia0, /dev/dxg), so only a software WebGPU adapter could exist; it is used only when forced (BATCHSCOPE_BACKEND=webgpu)';
}
