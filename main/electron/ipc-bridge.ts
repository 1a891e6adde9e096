/**
 * The API over Electron IPC: one handler for every method (validated with
 * apiInputs by callApi), answering with an ApiReply envelope because
 * ipcMain.handle would strip an Error's issues. Events go to every window.
 */
import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import type { ApiReply, BatchscopeClient } from '../../common/api-client';
import { ipcChannels } from '../../common/ipc-channels';
import { callApi } from '../transport/call-api';

export interface IpcBridgeOptions {
  ipcMain: IpcMain;
  api: BatchscopeClient;
  /** only frames showing our renderer may call */
  isTrustedSender(event: IpcMainInvokeEvent): boolean;
  windows(): BrowserWindow[];
}

export function registerIpcBridge({ ipcMain, api, isTrustedSender, windows }: IpcBridgeOptions): () => void {
  ipcMain.handle(ipcChannels.call, async (event, method: unknown, input: unknown): Promise<ApiReply<unknown>> => {
    if (!isTrustedSender(event)) {
      return { ok: false, error: { name: 'Forbidden', message: `calls from ${event.senderFrame?.url ?? 'an unknown frame'} are refused` } };
    }
    const outcome = await callApi(api, method, input);
    return outcome.ok ? { ok: true, value: outcome.value } : { ok: false, ...outcome.body };
  });
  const unsubscribe = api.subscribe((event) => {
    for (const window of windows()) {
      if (!window.isDestroyed()) window.webContents.send(ipcChannels.event, event);
    }
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(ipcChannels.call);
  };
}
