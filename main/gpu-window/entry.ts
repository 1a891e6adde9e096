/**
 * The GPU window's script. The host (Electron main, or a test page) posts
 * `{ type: 'start', run }` to the window; every WorkerMessage comes back through
 * `window.postMessage` tagged with `batchscope: 'gpu-window'`. In Electron the preload
 * forwards these over a MessagePort to the runner (see docs/webgpu.md).
 */
import type { WorkerMessage } from '../../common/worker-protocol';
import { trainInWindow, type WindowRun } from './window-training';

const post = (message: WorkerMessage): void => window.postMessage({ batchscope: 'gpu-window', message }, window.location.origin);
let running = false;

window.addEventListener('message', (event: MessageEvent<{ type?: string; run?: WindowRun }>) => {
  if (event.source !== window || event.data?.type !== 'start' || !event.data.run || running) return;
  running = true;
  void trainInWindow(event.data.run, post);
});
post({ type: 'ready', pid: 0 });
