/**
 * One file over HTTP(S) into place: progress as it arrives, resume of a
 * partial download (a `Range` request continuing `<dest>.part`), a checksum
 * checked before the file takes its name, and errors that say what to do.
 * Uses Node's fetch; nothing here knows what the file holds.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';

export class DownloadError extends Error {
  override readonly name = 'DownloadError';
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DownloadProgress {
  receivedBytes: number;
  /** null when the server does not say */
  totalBytes: number | null;
  /** bytes that came from an earlier, interrupted download */
  resumedFromBytes: number;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  /** hex MD5 of the whole file (published checksums of data sets are MD5) */
  md5?: string;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** no byte for this long fails the download (default 30 s) */
  idleTimeoutMs?: number;
}

async function md5Of(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** Downloads `url` to `dest` (resuming `dest.part`); resolves once `dest` is complete and verified. */
export async function downloadFile(options: DownloadOptions): Promise<{ bytes: number; resumed: boolean }> {
  const { url, dest } = options;
  const part = `${dest}.part`;
  mkdirSync(dirname(dest), { recursive: true });
  const have = existsSync(part) ? statSync(part).size : 0;
  const idle = new AbortController();
  const idleMs = options.idleTimeoutMs ?? 30_000;
  let timer = setTimeout(() => idle.abort(), idleMs);
  const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
  let response: Response;
  try {
    response = await fetch(url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal, redirect: 'follow' });
  } catch (error) {
    clearTimeout(timer);
    throw new DownloadError(url, `could not reach ${url}: ${idle.signal.aborted ? `no answer in ${idleMs / 1000} s` : networkReason(error)}`);
  }
  if (response.status === 416 && have > 0) {
    // the partial file is already whole (or the server's copy changed): verify below or start over
    clearTimeout(timer);
    await response.body?.cancel();
    return finish(options, part, have, true);
  }
  if (!response.ok) {
    clearTimeout(timer);
    await response.body?.cancel();
    throw new DownloadError(url, `${url} answered ${response.status} ${response.statusText}`.trim());
  }
  const resumed = response.status === 206;
  const offset = resumed ? have : 0;
  const length = Number(response.headers.get('content-length'));
  const totalBytes = Number.isFinite(length) && length > 0 ? offset + length : null;
  const out = createWriteStream(part, { flags: resumed ? 'a' : 'w' });
  let received = offset;
  options.onProgress?.({ receivedBytes: received, totalBytes, resumedFromBytes: offset });
  try {
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), idleMs);
      received += value.byteLength;
      if (!out.write(value)) await once(out, 'drain');
      options.onProgress?.({ receivedBytes: received, totalBytes, resumedFromBytes: offset });
    }
  } catch (error) {
    throw new DownloadError(
      url,
      `the download of ${url} broke off after ${received} bytes (${idle.signal.aborted ? `no data for ${idleMs / 1000} s` : networkReason(error)}); run it again to resume`,
    );
  } finally {
    clearTimeout(timer);
    out.end();
    await once(out, 'close');
  }
  if (totalBytes !== null && received !== totalBytes) {
    throw new DownloadError(url, `the download of ${url} ended at ${received} of ${totalBytes} bytes; run it again to resume`);
  }
  return finish(options, part, received, resumed);
}

async function finish(options: DownloadOptions, part: string, bytes: number, resumed: boolean): Promise<{ bytes: number; resumed: boolean }> {
  if (options.md5) {
    const actual = await md5Of(part);
    if (actual !== options.md5.toLowerCase()) {
      rmSync(part, { force: true });
      throw new DownloadError(options.url, `${options.url} does not match its published checksum (MD5 ${actual}, expected ${options.md5}); the partial file was removed, run it again`);
    }
  }
  renameSync(part, options.dest);
  return { bytes, resumed };
}
