/**
 * A byte cache in the OS temp folder for data that is slow to parse but cheap to
 * read raw (Fashion-MNIST's JSON). Entries are keyed by a hash of everything the
 * bytes depend on, written atomically (temp name, then rename), checked for their
 * exact length on reading, and never required: any failure just means a miss.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempCachePath(name: string, key: string): string {
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return join(tmpdir(), `batchscope-${name}-${digest}.bin`);
}

/** The cached bytes, or undefined when absent, unreadable or not `expectedBytes` long. */
export async function readTempCache(path: string, expectedBytes: number): Promise<Uint8Array | undefined> {
  try {
    const bytes = await readFile(path);
    return bytes.length === expectedBytes ? bytes : undefined;
  } catch {
    return undefined;
  }
}

export async function writeTempCache(path: string, bytes: Uint8Array): Promise<void> {
  const partial = `${path}.${process.pid}.partial`;
  try {
    await writeFile(partial, bytes);
    await rename(partial, path);
  } catch {
    // a read-only or full temp folder only costs the next load its speed
  }
}
