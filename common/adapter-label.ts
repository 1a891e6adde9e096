import type { GpuAdapterInfo } from './metrics';

/** One line for logs and views: "mesa / llvmpipe (software)". */
export function adapterLabel(info: GpuAdapterInfo): string {
  const name = [info.vendor, info.architecture].filter(Boolean).join(' / ') || info.description || info.device || 'unknown adapter';
  return info.software && !/software/i.test(name) ? `${name} (software)` : name;
}
