/**
 * Spec files handed to the app by the system: "Open With Batchscope", a double
 * click where the installer registered .json (electron-builder.yml
 * fileAssociations), or `batchscope spec.json`. They arrive as a command-line
 * argument (Windows, Linux; to the running instance through 'second-instance')
 * or as macOS's 'open-file' event, and reach the designer as an event.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { ApiEvent } from '../../common/api-contract';

/** an experiment spec is a few KiB; anything this large is not one */
const maxSpecBytes = 1024 * 1024;

/**
 * The last .json argument, resolved against the directory it was given in.
 * argv[0] is the executable; unpackaged (`electron .`) argv[1] is the app folder.
 * Switches (Chromium adds some to a second instance's argv) are skipped.
 */
export function specFileFromArgv(argv: readonly string[], cwd: string, isPackaged: boolean): string | null {
  const args = argv.slice(isPackaged ? 1 : 2).filter((arg) => !arg.startsWith('-'));
  const file = args.reverse().find((arg) => arg.toLowerCase().endsWith('.json'));
  return file ? resolve(cwd, file) : null;
}

export type SpecFileEvent = Extract<ApiEvent, { type: 'spec-file-opened' }>;

/** The file's JSON for the designer, or what is wrong with the file; the designer validates the spec itself. */
export async function readSpecFile(path: string): Promise<SpecFileEvent> {
  const fileName = basename(path);
  try {
    const info = await stat(path);
    if (!info.isFile()) return { type: 'spec-file-opened', fileName, error: `${path} is not a file` };
    if (info.size > maxSpecBytes) return { type: 'spec-file-opened', fileName, error: `${path} is ${info.size} bytes, too large for an experiment spec` };
    const text = await readFile(path, 'utf8');
    try {
      return { type: 'spec-file-opened', fileName, json: JSON.parse(text) as unknown };
    } catch (error) {
      return { type: 'spec-file-opened', fileName, error: `${path} is not JSON: ${(error as Error).message}` };
    }
  } catch (error) {
    return { type: 'spec-file-opened', fileName, error: `${path} could not be read: ${(error as Error).message}` };
  }
}
