/**
 * CIFAR-10's binary version from its official location into Batchscope's data
 * folder: download (resumable, checked against the published MD5), unpack,
 * and check that the six batch files are there and well formed. Offline, the
 * error says how to place the files by hand.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { extract } from 'tar';
import { CIFAR10_RECORD_BYTES, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, resolveCifar10Dir } from '../engine/data/cifar10';
import { DownloadError, downloadFile, type DownloadProgress } from './http-download';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
/** as published on https://www.cs.toronto.edu/~kriz/cifar.html for the binary version */
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
const ARCHIVE = 'cifar-10-binary.tar.gz';

/** `<folder of the database>/datasets`: downloaded data sets live next to the runs that use them. */
export function datasetsDirFor(dbPath: string): string {
  return join(dirname(dbPath), 'datasets');
}

/** The unpacked folder inside a datasets folder, whether or not it exists yet. */
export function cifar10DirIn(datasetsDir: string): string {
  return resolveCifar10Dir(join(datasetsDir, 'cifar-10-batches-bin'));
}

export interface Cifar10DownloadOptions {
  /** folder the data set is unpacked into (datasetsDirFor(the database)) */
  datasetsDir: string;
  /** another location of the same archive (a mirror); $BATCHSCOPE_CIFAR10_URL too */
  url?: string;
  md5?: string;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  idleTimeoutMs?: number;
}

export const CIFAR10_BY_HAND = (dir: string): string =>
  `To place it by hand: download ${ARCHIVE} from https://www.cs.toronto.edu/~kriz/cifar.html (binary version), ` +
  `extract it into ${dir} (giving ${join(dir, 'cifar-10-batches-bin')}), and use that folder as the dataset's dir.`;

function checkUnpacked(dir: string): void {
  for (const file of [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE]) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new Error(`the archive did not contain ${file} (looked in ${dir})`);
    const bytes = readFileSync(path).length;
    if (bytes === 0 || bytes % CIFAR10_RECORD_BYTES !== 0) throw new Error(`${path} is ${bytes} bytes, not whole ${CIFAR10_RECORD_BYTES}-byte records`);
  }
}

/** Downloads and unpacks CIFAR-10 unless it is already there; resolves to the folder to use as `dir`. */
export async function downloadCifar10(options: Cifar10DownloadOptions): Promise<{ dir: string; downloaded: boolean }> {
  const { datasetsDir } = options;
  const dir = cifar10DirIn(datasetsDir);
  if (existsSync(join(dir, CIFAR10_TEST_FILE))) {
    checkUnpacked(dir);
    return { dir, downloaded: false };
  }
  mkdirSync(datasetsDir, { recursive: true });
  const archive = join(datasetsDir, ARCHIVE);
  const url = options.url ?? process.env.BATCHSCOPE_CIFAR10_URL ?? CIFAR10_URL;
  if (!existsSync(archive)) {
    try {
      await downloadFile({ url, dest: archive, md5: options.md5 ?? CIFAR10_MD5, onProgress: options.onProgress, signal: options.signal, idleTimeoutMs: options.idleTimeoutMs });
    } catch (error) {
      if (error instanceof DownloadError) throw new DownloadError(url, `CIFAR-10: ${error.message}. ${CIFAR10_BY_HAND(datasetsDir)}`);
      throw error;
    }
  }
  try {
    await extract({ file: archive, cwd: datasetsDir, strict: true });
    checkUnpacked(dir);
  } catch (error) {
    // a bad archive is not kept: the next attempt downloads it again
    rmSync(archive, { force: true });
    throw new DownloadError(url, `CIFAR-10: could not unpack ${archive}: ${(error as Error).message}. ${CIFAR10_BY_HAND(datasetsDir)}`);
  }
  rmSync(archive, { force: true });
  return { dir, downloaded: true };
}
