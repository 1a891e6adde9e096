/**
 * Two executors behind one: runs whose resolved backend is WebGPU go to `webgpu` (the
 * Electron GPU window, docs/webgpu.md), every other run to `other` (the forked worker).
 * Only forced WebGPU is routed: an 'auto' run stays with the worker, whose own chain
 * decides (and falls back when its WebGPU cannot load).
 */
import { resolveBackendPreference } from '../../common/backend-preference';
import type { RunSpec } from '../../common/spec';
import type { RunExecutor } from './executor';

export function runsInGpuWindow(spec: Pick<RunSpec, 'backend'>, env: NodeJS.ProcessEnv = process.env): boolean {
  return resolveBackendPreference(spec.backend, env['BATCHSCOPE_BACKEND']) === 'webgpu';
}

export function routeByBackend(executors: { webgpu: RunExecutor; other: RunExecutor }, env: NodeJS.ProcessEnv = process.env): RunExecutor {
  return {
    start: (spec, onMessage, context) => (runsInGpuWindow(spec, env) ? executors.webgpu : executors.other).start(spec, onMessage, context),
    close: async () => {
      await Promise.all([executors.webgpu.close?.(), executors.other.close?.()]);
    },
  };
}
