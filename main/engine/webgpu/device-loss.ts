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

/** How long a failed read waits for the device's `lost` promise before reporting its own error. */
const lossSettleMs = 1000;

/**
 * What `start()` resolves to, or a DeviceLostError as soon as the device is lost,
 * whichever comes first. A thunk, so nothing is started on a device already lost
 * (its rejection would go unheard). A read that fails on its own (a destroyed device
 * rejects a pending map, often with an empty message, before its `lost` promise
 * settles) waits briefly for the loss and reports it instead when it comes.
 */
export function unlessDeviceLost<T>(start: () => Promise<T>): Promise<T> {
  if (lostError) return Promise.reject(lostError);
  const promise = start();
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onLost = (error: DeviceLostError): void => {
      clearTimeout(timer);
      reject(error);
    };
    const forget = (): void => {
      rejectWaiters = rejectWaiters.filter((r) => r !== onLost);
    };
    rejectWaiters.push(onLost);
    promise.then(
      (value) => {
        forget();
        resolve(value);
      },
      (error: unknown) => {
        if (lostError) {
          forget();
          reject(lostError);
          return;
        }
        timer = setTimeout(() => {
          forget();
          reject(error);
        }, lossSettleMs);
      },
    );
  });
}
