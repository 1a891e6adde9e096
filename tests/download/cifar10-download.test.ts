/**
 * CIFAR-10 download against a local HTTP server serving a generated archive in
 * the official format (cifar-10-binary.tar.gz holding cifar-10-batches-bin/):
 * a good download unpacks into loadable batches; a connection cut mid-file is
 * resumed with a Range request; a wrong checksum removes the file; a server
 * error and an unreachable server say what happened and how to place the files
 * by hand.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CIFAR10_RECORD_BYTES, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, loadCifar10 } from '../../main/engine/data/cifar10';
import { downloadCifar10 } from '../../main/download/cifar10-download';
import { createApi } from '../../main/api/create-api';

let work: string;
let archive: Buffer;
let md5: string;
let server: Server;
let base: string;
/** how the server answers the next request */
let mode: 'good' | 'cut' | 'error' = 'good';
const rangeHeaders: (string | undefined)[] = [];

/** A few records per batch file: label k % 10, pixels from a counter. */
function batchFile(records: number, seed: number): Buffer {
  const bytes = Buffer.alloc(records * CIFAR10_RECORD_BYTES);
  for (let r = 0; r < records; r++) {
    bytes[r * CIFAR10_RECORD_BYTES] = (r + seed) % 10;
    for (let i = 1; i < CIFAR10_RECORD_BYTES; i++) bytes[r * CIFAR10_RECORD_BYTES + i] = (i * 7 + r + seed) % 256;
  }
  return bytes;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'batchscope-cifar-'));
  const source = join(work, 'source');
  mkdirSync(join(source, 'cifar-10-batches-bin'), { recursive: true });
  CIFAR10_TRAIN_FILES.forEach((file, k) => writeFileSync(join(source, 'cifar-10-batches-bin', file), batchFile(20, k)));
  writeFileSync(join(source, 'cifar-10-batches-bin', CIFAR10_TEST_FILE), batchFile(10, 9));
  writeFileSync(join(source, 'cifar-10-batches-bin', 'batches.meta.txt'), 'airplane\nautomobile\n');
  await create({ gzip: true, cwd: source, file: join(work, 'cifar-10-binary.tar.gz') }, ['cifar-10-batches-bin']);
  archive = readFileSync(join(work, 'cifar-10-binary.tar.gz'));
  md5 = createHash('md5').update(archive).digest('hex');

  server = createServer((req, res) => {
    rangeHeaders.push(req.headers.range);
    if (mode === 'error') {
      res.writeHead(500, 'Internal Server Error').end();
      return;
    }
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    const body = archive.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, { 'content-length': body.length, ...(start > 0 ? { 'content-range': `bytes ${start}-${archive.length - 1}/${archive.length}` } : {}) });
    if (mode === 'cut') {
      // half the bytes, then the connection drops
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      return;
    }
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  mode = 'good';
  rangeHeaders.length = 0;
});

const fresh = (name: string): string => join(work, name);

describe('CIFAR-10 download', () => {
  it('downloads, checks the checksum, unpacks into loadable batches, and is not fetched twice', async () => {
    const seen: number[] = [];
    const { dir, downloaded } = await downloadCifar10({ datasetsDir: fresh('good'), url: `${base}/cifar-10-binary.tar.gz`, md5, onProgress: (p) => seen.push(p.receivedBytes) });
    expect(downloaded).toBe(true);
    expect(dir).toBe(join(fresh('good'), 'cifar-10-batches-bin'));
    expect(seen.at(-1)).toBe(archive.length);
    expect(existsSync(join(fresh('good'), 'cifar-10-binary.tar.gz'))).toBe(false);
    const data = await loadCifar10(dir);
    expect(data.train.count).toBe(100);
    expect(data.test.count).toBe(10);
    expect([...data.train.y.slice(0, 3)]).toEqual([0, 1, 2]);
    const again = await downloadCifar10({ datasetsDir: fresh('good'), url: `${base}/gone`, md5 });
    expect(again.downloaded).toBe(false);
    expect(rangeHeaders).toHaveLength(1);
  });

  it('the app lists a downloaded copy beside its database and fills it in for a spec without dir', async () => {
    const home = fresh('app');
    await downloadCifar10({ datasetsDir: join(home, 'datasets'), url: `${base}/a.tar.gz`, md5 });
    const api = await createApi({ dbPath: join(home, 'batchscope.db'), concurrency: 1 });
    try {
      const listing = (await api.listDatasets({})).find((d) => d.kind === 'cifar10')!;
      expect(listing).toMatchObject({ available: true, dir: join(home, 'datasets', 'cifar-10-batches-bin') });
      const plan = await api.planExperiment({ spec: { dataset: { kind: 'cifar10' }, model: { kind: 'mlp', hidden: [4] }, training: { steps: 1 } } });
      expect(plan.ok).toBe(true);
    } finally {
      await api.close({ kill: true });
    }
  });

  it('resumes a download cut off mid-file with a Range request', async () => {
    mode = 'cut';
    await expect(downloadCifar10({ datasetsDir: fresh('cut'), url: `${base}/a.tar.gz`, md5 })).rejects.toThrow(/broke off|ended at/);
    expect(existsSync(join(fresh('cut'), 'cifar-10-binary.tar.gz.part'))).toBe(true);
    mode = 'good';
    const { downloaded, dir } = await downloadCifar10({ datasetsDir: fresh('cut'), url: `${base}/a.tar.gz`, md5 });
    expect(downloaded).toBe(true);
    expect(rangeHeaders[0]).toBeUndefined();
    expect(rangeHeaders[1]).toMatch(/^bytes=[1-9]\d*-$/);
    expect((await loadCifar10(dir)).train.count).toBe(100);
  });

  it('refuses a file that does not match the published checksum and removes it', async () => {
    await expect(downloadCifar10({ datasetsDir: fresh('sum'), url: `${base}/a.tar.gz`, md5: '0'.repeat(32) })).rejects.toThrow(/does not match its published checksum.*place it by hand/s);
    expect(existsSync(join(fresh('sum'), 'cifar-10-binary.tar.gz.part'))).toBe(false);
    expect(existsSync(join(fresh('sum'), 'cifar-10-binary.tar.gz'))).toBe(false);
  });

  it('names the status of a server error and how to place the files by hand', async () => {
    mode = 'error';
    await expect(downloadCifar10({ datasetsDir: fresh('err'), url: `${base}/a.tar.gz`, md5 })).rejects.toThrow(/answered 500.*cifar\.html.*cifar-10-batches-bin/s);
  });

  it('offline: says the address could not be reached and how to place the files by hand', async () => {
    // a port that was free a moment ago: nothing listens there
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => probe.once('listening', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(downloadCifar10({ datasetsDir: fresh('offline'), url: `http://127.0.0.1:${port}/cifar.tar.gz`, md5 })).rejects.toThrow(/could not reach .*ECONNREFUSED.*place it by hand/s);
  });
});
