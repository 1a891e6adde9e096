/**
 * Exposes the API contract to the renderer as `window.batchscope`, one
 * function per method plus `subscribe`; nothing else crosses the bridge.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { apiMethods, type ApiEvent } from '../common/api-contract';
import type { ApiListener, BatchscopeBridge } from '../common/api-client';
import { ipcChannels } from '../common/ipc-channels';

const bridge: Record<string, unknown> = {};
for (const method of apiMethods) {
  bridge[method] = (input: unknown) => ipcRenderer.invoke(ipcChannels.call, method, input);
}
bridge['subscribe'] = (listener: ApiListener): (() => void) => {
  const forward = (_event: IpcRendererEvent, apiEvent: ApiEvent): void => listener(apiEvent);
  ipcRenderer.on(ipcChannels.event, forward);
  return () => void ipcRenderer.removeListener(ipcChannels.event, forward);
};

contextBridge.exposeInMainWorld('batchscope', bridge as BatchscopeBridge);
