/**
 * The renderer's one way to reach main: the Electron preload bridge when it is
 * there, else the local HTTP server of browser mode (token from the address).
 */
import { createBridgeClient, createHttpClient, tokenFromLocation, type BatchscopeBridge, type BatchscopeClient } from '../../common/api-client';

declare global {
  interface Window {
    batchscope?: BatchscopeBridge;
  }
}

const client: BatchscopeClient = window.batchscope
  ? createBridgeClient(window.batchscope)
  : createHttpClient(window.location.origin, tokenFromLocation(window.location) ?? '');

export const api: BatchscopeClient = client;
export const subscribe: BatchscopeClient['subscribe'] = client.subscribe;
