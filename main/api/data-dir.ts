import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where Batchscope keeps its database by default: $BATCHSCOPE_DB, else the
 * user's data folder. Electron, browser mode and the CLI all open this one
 * file, so a run started in one shows up in the others.
 */
export function defaultDbPath(): string {
  if (process.env.BATCHSCOPE_DB) return process.env.BATCHSCOPE_DB;
  const base =
    process.platform === 'darwin'
      ? join(homedir(), 'Library', 'Application Support')
      : process.platform === 'win32'
        ? (process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'))
        : (process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'));
  return join(base, 'batchscope', 'batchscope.db');
}
