/**
 * The GPU window's script. The host (Electron main through the preload's bridge, or a test
 * page) posts `{ type: 'start', run }` and `{ type: 'cancel' }` to the window; every
 * WorkerMessage goes back through `window.postMessage` tagged `batchscope: 'gpu-window'`,
 * which the bridge forwards to main (preload/gpu-window-bridge.ts, docs/webgpu.md).
 */
import { gpuWindowTag, type WorkerMessage } from '../../common/worker-protocol';
import type { HostMessage } from './window-run';
import { trainInWindow } from './window-training';

// '/': this document's own origin, which also works for file: pages (whose origin is opaque)
const post = (message: WorkerMessage): void => window.postMessage({ batchscope: gpuWindowTag, message }, '/');
let running = false;
let cancelled = false;

window.addEventListener('message', (event: MessageEvent<Partial<HostMessage> | undefined>) => {
  if (event.source !== window) return;
  const data = event.data;
  if (data?.type === 'cancel') cancelled = true;
  else if (data?.type === 'start' && data.run && !running) {
    running = true;
    void trainInWindow(data.run, post, () => cancelled);
  }
});
post({ type: 'ready', pid: 0 });
