/**
 * The GPU window's preload: bridges the page's window messages to the one MessagePort main
 * sends (preload/gpu-window-bridge.ts). It exposes nothing with contextBridge: the page
 * gets window messages, nothing more (docs/webgpu.md).
 */
import { ipcRenderer } from 'electron';
import { gpuWindowPortChannel } from '../common/worker-protocol';
import { bridgeWindow, type BridgePort, type BridgeWindow } from './gpu-window-bridge';

const bridge = bridgeWindow(globalThis as unknown as BridgeWindow);
ipcRenderer.once(gpuWindowPortChannel, (event) => {
  const port = event.ports[0];
  if (port) bridge.connect(port as unknown as BridgePort);
});
