/**
 * The pre-flight check of a dataset spec, run by the API before an experiment is stored:
 * every file the worker will read is opened and its header, size and counts checked, and a
 * full scan is done only where it is cheap (IDX labels, a CSV), so a wrong path, a truncated
 * download or a ragged CSV is an error at the designer's field, not a failed run. The worker
 * keeps its own checks; this one answers with the dataset's shape for the resource budget.
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetShape } from '../../../common/resource-budget';
import type { DatasetSpec } from '../../../common/spec';
import { knownDatasetShape } from '../../../common/param-count';
import { CIFAR10_RECORD_BYTES, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, resolveCifar10Dir } from './cifar10';
import { classCensus } from './class-labels';
import { readCsv } from './csv';
import { DatasetError } from './dataset';
import { readMaybeGzippedFile, requireFolder } from './dataset-file';
import { IDX_IMAGES_MAGIC, parseIdxLabels, readIdxHeader } from './idx-reader';
import { listDatasets } from './load-dataset';

export interface DatasetCheck {
  shape: DatasetShape;
  /** problems that do not stop the run but probably should be looked at */
  warnings: string[];
}

/** Size in bytes of a regular file, or a DatasetError naming it. */
async function fileBytes(file: string): Promise<number> {
  let stats;
  try {
    stats = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DatasetError(file, code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'file cannot be read (permission denied)' : `cannot be read: ${(error as Error).message}`);
  }
  if (stats.isDirectory()) throw new DatasetError(file, 'is a folder, expected a file');
  if (!stats.isFile()) throw new DatasetError(file, 'is not a regular file');
  return stats.size;
}

async function readHead(file: string, bytes: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const isGzip = (head: Uint8Array): boolean => head[0] === 0x1f && head[1] === 0x8b;

/** Image dimensions from the header alone; gzipped files are decompressed, since their length says nothing. */
async function idxImageDims(file: string): Promise<{ count: number; rows: number; cols: number }> {
  const size = await fileBytes(file);
  const head = await readHead(file, 16);
  const whole = isGzip(head) ? await readMaybeGzippedFile(file) : null;
  const dims = whole ? readIdxHeader(whole, whole.length, file, IDX_IMAGES_MAGIC) : readIdxHeader(head, size, file, IDX_IMAGES_MAGIC);
  const [count, rows, cols] = dims as [number, number, number];
  if (count === 0 || rows === 0 || cols === 0) throw new DatasetError(file, `holds no pixels (dimensions ${dims.join(' × ')})`);
  return { count, rows, cols };
}

async function idxLabels(file: string): Promise<Uint8Array> {
  await fileBytes(file);
  return parseIdxLabels(await readMaybeGzippedFile(file), file);
}

async function checkIdx(spec: Extract<DatasetSpec, { kind: 'idx' }>): Promise<DatasetCheck> {
  if ((spec.testImages === undefined) !== (spec.testLabels === undefined)) {
    throw new DatasetError(spec.testImages ?? spec.testLabels!, 'give both testImages and testLabels, or neither (to hold out testFraction of the training set)');
  }
  const images = await idxImageDims(spec.trainImages);
  const labels = await idxLabels(spec.trainLabels);
  if (labels.length !== images.count) {
    throw new DatasetError(spec.trainLabels, `has ${labels.length} labels but ${spec.trainImages} has ${images.count} images; they must match one to one`);
  }
  const census = classCensus(labels, spec.trainLabels, spec.numClasses);
  let testCount = 0;
  if (spec.testImages !== undefined && spec.testLabels !== undefined) {
    const testImages = await idxImageDims(spec.testImages);
    if (testImages.rows !== images.rows || testImages.cols !== images.cols) {
      throw new DatasetError(spec.testImages, `images are ${testImages.rows} × ${testImages.cols}, the training images (${spec.trainImages}) are ${images.rows} × ${images.cols}`);
    }
    const testLabels = await idxLabels(spec.testLabels);
    if (testLabels.length !== testImages.count) {
      throw new DatasetError(spec.testLabels, `has ${testLabels.length} labels but ${spec.testImages} has ${testImages.count} images; they must match one to one`);
    }
    const outOfRange = testLabels.findIndex((label) => label >= census.numClasses);
    if (outOfRange >= 0) {
      throw new DatasetError(spec.testLabels, `label ${testLabels[outOfRange]} at index ${outOfRange} is out of range: the training set has classes 0 … ${census.numClasses - 1}`);
    }
    testCount = testImages.count;
  }
  const trainCount = testCount > 0 ? images.count : Math.round(images.count * (1 - spec.testFraction));
  return {
    shape: { inputShape: [images.rows, images.cols, 1], numClasses: census.numClasses, samples: images.count + testCount, trainSamples: Math.min(trainCount, spec.trainLimit ?? Infinity) },
    warnings: census.warning ? [census.warning] : [],
  };
}

async function checkCsv(spec: Extract<DatasetSpec, { kind: 'csv' }>): Promise<DatasetCheck> {
  await fileBytes(spec.path);
  // a full parse: the CSVs this app takes are small next to the training they feed
  const table = await readCsv(spec.path, { labelColumn: spec.labelColumn, header: spec.header, numClasses: spec.numClasses });
  if (table.count < 2) throw new DatasetError(spec.path, `has ${table.count} data line; at least 2 are needed to hold out a test set`);
  const trainCount = Math.round(table.count * (1 - spec.testFraction));
  return {
    shape: { inputShape: [table.featureNames.length], numClasses: table.numClasses, samples: table.count, trainSamples: Math.min(trainCount, spec.trainLimit ?? Infinity) },
    warnings: table.classWarning ? [table.classWarning] : [],
  };
}

async function checkCifar10(spec: Extract<DatasetSpec, { kind: 'cifar10' }>): Promise<DatasetCheck> {
  if (spec.dir === undefined) {
    throw new DatasetError('dataset.dir', 'CIFAR-10 needs a folder: give dir, or download it first (Download in the designer, or batchscope datasets --download cifar10)');
  }
  await requireFolder(spec.dir, 'give the folder of the CIFAR-10 binary version');
  const root = resolveCifar10Dir(spec.dir);
  for (const name of [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE]) {
    const file = join(root, name);
    const size = await fileBytes(file).catch((error: unknown) => {
      throw error instanceof DatasetError && /not found/.test(error.message)
        ? new DatasetError(file, `missing; the folder needs ${[...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].join(', ')}`)
        : error;
    });
    if (size === 0 || size % CIFAR10_RECORD_BYTES !== 0) {
      throw new DatasetError(file, `is ${size} bytes, not a positive multiple of the ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 record; is it truncated?`);
    }
  }
  return { shape: knownDatasetShape(spec)!, warnings: [] };
}

export async function preflightDataset(spec: DatasetSpec): Promise<DatasetCheck> {
  switch (spec.kind) {
    case 'idx':
      return checkIdx(spec);
    case 'csv':
      return checkCsv(spec);
    case 'cifar10':
      return checkCifar10(spec);
    case 'mnist':
    case 'fashion-mnist': {
      const listing = listDatasets().find((d) => d.kind === spec.kind)!;
      if (!listing.available) throw new DatasetError(spec.kind, listing.note ?? 'not available');
      return { shape: knownDatasetShape(spec)!, warnings: [] };
    }
    case 'blobs':
    case 'spirals':
      return { shape: knownDatasetShape(spec)!, warnings: [] };
  }
}

/** The spec field that names `file`, so the designer can show the error beside it. */
export function datasetFieldOf(spec: DatasetSpec, file: string): string {
  const entry = Object.entries(spec).find(([, value]) => value === file);
  if (entry) return `dataset.${entry[0]}`;
  if (spec.kind === 'cifar10') return 'dataset.dir';
  return 'dataset';
}
