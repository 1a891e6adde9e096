/**
 * Which backend a run asks for: BATCHSCOPE_BACKEND (unless 'auto') overrides the spec's
 * `backend`. Pure, so main can route a run (the Electron GPU window takes forced WebGPU
 * runs, docs/webgpu.md) by the same rule the worker selects its backend with.
 */
import { backendPreferenceSchema, type BackendPreference } from './spec';

export function resolveBackendPreference(fromSpec: BackendPreference | undefined, fromEnv: string | undefined): BackendPreference {
  if (fromEnv && fromEnv !== 'auto') {
    const parsed = backendPreferenceSchema.safeParse(fromEnv);
    if (!parsed.success) {
      throw new Error(`BATCHSCOPE_BACKEND: unknown backend '${fromEnv}' (expected one of ${backendPreferenceSchema.options.join(', ')})`);
    }
    return parsed.data;
  }
  return fromSpec ?? 'auto';
}
