/** Electron IPC channel names shared by the preload and main. */
export const ipcChannels = {
  /** renderer → main: invoke(method, input) → ApiReply */
  call: 'batchscope:call',
  /** main → renderer: one ApiEvent per message */
  event: 'batchscope:event',
} as const;
