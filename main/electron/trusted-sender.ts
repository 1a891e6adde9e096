/**
 * Which IPC callers main answers: only the top frame of a window showing our renderer. A
 * subframe (an iframe some future view might embed, or one injected by a compromised page)
 * is refused even when its URL looks like ours.
 */

/** What the check needs from IpcMainInvokeEvent.senderFrame; plain data, so it is testable without Electron. */
export interface SenderFrame {
  url: string;
  /** null for a window's top frame */
  parent: unknown;
}

export function isTrustedFrame(frame: SenderFrame | null | undefined, rendererPrefix: string): boolean {
  if (!frame || frame.parent !== null) return false;
  return frame.url.startsWith(rendererPrefix);
}
