/**
 * The training worker's line to whoever started it: the fork IPC channel under
 * child_process.fork (plain Node: CLI, browser mode, tests), or Electron's
 * parentPort inside a utilityProcess (the desktop app, where Electron's
 * RunAsNode fuse is off, so child_process.fork of Electron itself is not available).
 */
import type { ParentMessage, WorkerEnvelope } from '../../common/worker-protocol';

export interface ParentChannel {
  send(message: WorkerEnvelope): Promise<void>;
  onMessage(listener: (message: ParentMessage) => void): void;
  /** called when the parent goes away (fork only: a utility process is ended with its parent) */
  onDisconnect(listener: () => void): void;
  close(): void;
}

/** The subset of Electron's ParentPort used here, so this file needs no Electron types. */
interface ParentPortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

export function parentChannel(): ParentChannel | null {
  const port = (process as NodeJS.Process & { parentPort?: ParentPortLike }).parentPort;
  if (port) {
    return {
      send: async (message) => port.postMessage(message),
      onMessage: (listener) => port.on('message', (event) => listener(event.data as ParentMessage)),
      onDisconnect: () => {},
      // nothing ends a utility process but exiting; the pause lets the last postMessage leave first
      close: () => void setTimeout(() => process.exit(0), 500),
    };
  }
  if (!process.send) return null;
  return {
    send: (message) =>
      new Promise((resolve) => {
        if (!process.send) return resolve();
        process.send(message, undefined, undefined, () => resolve());
      }),
    onMessage: (listener) => process.on('message', listener),
    onDisconnect: (listener) => process.on('disconnect', listener),
    close: () => process.disconnect?.(),
  };
}
