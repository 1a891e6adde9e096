/**
 * Reads a spec file named on the command line, refusing anything over `maxSpecBytes`:
 * a spec is a few kilobytes of JSON, and a mistyped path (/dev/zero, a dataset, a pipe that
 * never ends) must give a clear error instead of reading without limit.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UsageError } from './usage-error';

export const maxSpecBytes = 1024 * 1024;

export function readSpecFile(file: string, limitBytes = maxSpecBytes): unknown {
  let text: string;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new UsageError(`cannot read spec file ${file}: ${(error as Error).message}`);
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw new UsageError(`cannot read spec file ${file}: it is a folder`);
    if (stats.isFile() && stats.size > limitBytes) throw new UsageError(tooLarge(file, limitBytes, `${stats.size} bytes`));
    // devices and pipes report no size: read at most one byte past the limit to know it was exceeded
    const buffer = Buffer.alloc(limitBytes + 1);
    let length = 0;
    for (;;) {
      let read: number;
      try {
        read = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (error) {
        throw new UsageError(`cannot read spec file ${file}: ${(error as Error).message}`);
      }
      if (read === 0) break;
      length += read;
      if (length > limitBytes) throw new UsageError(tooLarge(file, limitBytes, 'read past the limit'));
    }
    text = buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

function tooLarge(file: string, limitBytes: number, found: string): string {
  return `spec file ${file} is larger than the ${limitBytes / 1024 / 1024} MiB a spec may be (${found}); is it the right file?`;
}
