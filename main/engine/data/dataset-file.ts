/**
 * Reading a user-named data file, with the operating system's complaint turned into
 * a DatasetError that names the file and says what to do.
 */
import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from './dataset';

function describeFsError(error: unknown, what: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${what} not found`;
  if (code === 'EACCES' || code === 'EPERM') return `${what} cannot be read (permission denied)`;
  if (code === 'EISDIR') return 'is a folder, expected a file';
  if (code === 'ENOTDIR') return 'is a file, expected a folder';
  return `cannot be read: ${(error as Error).message}`;
}

/** The whole file, or a DatasetError("file not found", …). */
export async function readDatasetFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new DatasetError(file, describeFsError(error, 'file'));
  }
}

/** The whole file, transparently gunzipped when it starts with the gzip magic bytes 1f 8b. */
export async function readMaybeGzippedFile(file: string): Promise<Buffer> {
  const bytes = await readDatasetFile(file);
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new DatasetError(file, `looks gzipped but does not decompress (${(error as Error).message}); is the download complete?`);
  }
}

/** Throws a DatasetError unless `dir` exists and is a folder. */
export async function requireFolder(dir: string, hint: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(dir)).isDirectory();
  } catch (error) {
    throw new DatasetError(dir, `${describeFsError(error, 'folder')}; ${hint}`);
  }
  if (!isFolder) throw new DatasetError(dir, `is a file, expected a folder; ${hint}`);
}
