/**
 * A lost WebGPU device (driver reset, GPU unplugged, the browser reclaiming it) makes
 * every later dispatch a silent no-op and may leave a pending read unanswered. The loss
 * is recorded here so the training loop fails the run with the reason instead of
 * training on garbage or waiting forever.
 */
import type { GpuAdapterInfo } from '../../../common/metrics';
import { adapterLabel } from '../../../common/adapter-label';

export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

interface LostInfo {
  reason?: string;
  message?: string;
}

let lostError: DeviceLostError | null = null;
let rejectWaiters: ((error: DeviceLostError) => void)[] = [];

/** Starts watching the device behind a tfjs WebGPU backend (its `device` field). */
export function watchDeviceLoss(backend: unknown, adapter: GpuAdapterInfo | undefined): void {
  lostError = null;
  const device = (backend as { device?: { lost?: Promise<LostInfo> } }).device;
  void device?.lost?.then((info) => {
    const on = adapter ? ` on ${adapterLabel(adapter)}` : '';
    lostError = new DeviceLostError(`the WebGPU device was lost${on}: ${info?.message || info?.reason || 'no reason given'}`);
    for (const reject of rejectWaiters) reject(lostError);
    rejectWaiters = [];
  });
}

/** Throws DeviceLostError if the device has been lost. */
export function assertDeviceAlive(): void {
  if (lostError) throw lostError;
}

/**
 * What `start()` resolves to, or a DeviceLostError as soon as the device is lost,
 * whichever comes first. A thunk, so nothing is started on a device already lost
 * (its rejection would go unheard).
 */
export function unlessDeviceLost<T>(start: () => Promise<T>): Promise<T> {
  if (lostError) return Promise.reject(lostError);
  const promise = start();
  return new Promise<T>((resolve, reject) => {
    const onLost = (error: DeviceLostError): void => reject(error);
    rejectWaiters.push(onLost);
    promise.then(resolve, reject).finally(() => {
      rejectWaiters = rejectWaiters.filter((r) => r !== onLost);
    });
  });
}
