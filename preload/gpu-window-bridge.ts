/**
 * The GPU window's bridge: what the host sends on its port goes to the page as a window
 * message; what the page posts tagged as a GPU-window message goes back on the port.
 * Nothing else crosses: no API, no Node, no Electron in the page. Plain structural types,
 * so the same code runs in Electron's preload (preload/gpu-window.ts) and, in the
 * tests, in a Chromium page.
 */
import { gpuWindowTag } from '../common/worker-protocol';

export interface BridgePort {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  start(): void;
}

export interface BridgeWindow {
  postMessage(message: unknown, targetOrigin: string, transfer?: unknown[]): void;
  addEventListener(type: 'message', listener: (event: { source: unknown; data: unknown }) => void): void;
}


/** ArrayBuffers under the typed arrays of a start message, moved into the page instead of copied */
function buffersOf(message: unknown): unknown[] {
  const run = (message as { run?: Record<string, unknown> } | null)?.run;
  if (!run || typeof run !== 'object') return [];
  const arrays = [run['train'], run['test']].flatMap((split) => (split && typeof split === 'object' ? [(split as Record<string, unknown>)['x'], (split as Record<string, unknown>)['y']] : []));
  arrays.push(run['trainEval'], run['testEval']);
  const buffers = arrays.flatMap((a) => (ArrayBuffer.isView(a) && a.buffer instanceof ArrayBuffer ? [a.buffer] : []));
  return [...new Set(buffers)];
}

/**
 * Listens to the page at once (it posts `ready` as soon as its script runs, which may be
 * before the host's port arrives) and keeps its messages until `connect` gets the port.
 */
export function bridgeWindow(target: BridgeWindow): { connect(port: BridgePort): void } {
  let port: BridgePort | null = null;
  const waiting: unknown[] = [];
  target.addEventListener('message', (event) => {
    const data = event.data as { batchscope?: unknown; message?: unknown } | null;
    if (event.source !== target || typeof data !== 'object' || data === null || data.batchscope !== gpuWindowTag) return;
    if (port) port.postMessage(data.message);
    else waiting.push(data.message);
  });
  return {
    connect(given) {
      if (port) return;
      port = given;
      port.onmessage = (event) => target.postMessage(event.data, '/', buffersOf(event.data));
      port.start();
      for (const message of waiting.splice(0)) port.postMessage(message);
    },
  };
}
