/**
 * CIFAR-10 (Krizhevsky 2009) from a folder holding the official binary version
 * (cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, extracted):
 * data_batch_1.bin … data_batch_5.bin (train, 50,000) and test_batch.bin (test, 10,000).
 * Each record is 3,073 bytes: one label byte 0 … 9, then the 32 × 32 red plane,
 * the green plane and the blue plane (CHW, row-major).
 *
 * Records become NHWC [32, 32, 3] floats x = (p / 255 − mean[c]) / std[c] with the
 * per-channel mean and (population) standard deviation of the 50,000 training images,
 * the constants most CIFAR-10 code uses: mean (0.4914, 0.4822, 0.4465),
 * std (0.2470, 0.2435, 0.2616). The same constants are used for any folder given,
 * so small or partial copies are normalised like the real thing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError, type Dataset, type DataSplit, type ImageNormalization } from './dataset';
import { readDatasetFile, requireFolder } from './dataset-file';
import { pixelTables } from './image-normalization';

export const CIFAR10_CLASS_NAMES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

export const CIFAR10_NORMALIZATION: ImageNormalization = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.2435, 0.2616],
};

export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`);
export const CIFAR10_TEST_FILE = 'test_batch.bin';
const SIDE = 32;
const PLANE = SIDE * SIDE;
const IMAGE_BYTES = 3 * PLANE;
export const CIFAR10_RECORD_BYTES = 1 + IMAGE_BYTES;

const DOWNLOAD_HINT =
  'give the folder of the CIFAR-10 binary version (cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, extracted)';

/** `dir` itself, or its `cifar-10-batches-bin` subfolder when the archive was extracted into it. */
export function resolveCifar10Dir(dir: string): string {
  const nested = join(dir, 'cifar-10-batches-bin');
  return !existsSync(join(dir, CIFAR10_TEST_FILE)) && existsSync(join(nested, CIFAR10_TEST_FILE)) ? nested : dir;
}

/** Record count of one batch file, after checking its size and labels. */
function checkBatch(bytes: Uint8Array, file: string): number {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new DatasetError(
      file,
      `is ${bytes.length} bytes, not a positive multiple of the ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 record ` +
        '(1 label byte + 3,072 pixel bytes); is it truncated, or the CIFAR-100 or Python version?',
    );
  }
  const records = bytes.length / CIFAR10_RECORD_BYTES;
  for (let r = 0; r < records; r++) {
    const label = bytes[r * CIFAR10_RECORD_BYTES]!;
    if (label > 9) throw new DatasetError(file, `record ${r} has label ${label}; CIFAR-10 labels are 0 … 9`);
  }
  return records;
}

async function readSplit(files: string[]): Promise<DataSplit> {
  const batches: { bytes: Uint8Array; records: number }[] = [];
  for (const file of files) {
    const bytes = await readDatasetFile(file).catch((error: unknown) => {
      if (error instanceof DatasetError && !existsSync(file)) {
        throw new DatasetError(file, `missing; the folder needs ${[...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].join(', ')}`);
      }
      throw error;
    });
    batches.push({ bytes, records: checkBatch(bytes, file) });
  }
  const count = batches.reduce((sum, b) => sum + b.records, 0);
  const x = new Float32Array(count * IMAGE_BYTES);
  const y = new Int32Array(count);
  const [red, green, blue] = pixelTables(CIFAR10_NORMALIZATION, 3) as [Float32Array, Float32Array, Float32Array];
  let row = 0;
  for (const { bytes, records } of batches) {
    for (let r = 0; r < records; r++, row++) {
      const base = r * CIFAR10_RECORD_BYTES;
      y[row] = bytes[base]!;
      const out = row * IMAGE_BYTES;
      // CHW planes to interleaved HWC
      for (let p = 0; p < PLANE; p++) {
        x[out + 3 * p] = red[bytes[base + 1 + p]!]!;
        x[out + 3 * p + 1] = green[bytes[base + 1 + PLANE + p]!]!;
        x[out + 3 * p + 2] = blue[bytes[base + 1 + 2 * PLANE + p]!]!;
      }
    }
  }
  return { x, y, count };
}

export async function loadCifar10(dir: string): Promise<Dataset> {
  await requireFolder(dir, DOWNLOAD_HINT);
  const root = resolveCifar10Dir(dir);
  const train = await readSplit(CIFAR10_TRAIN_FILES.map((f) => join(root, f)));
  const test = await readSplit([join(root, CIFAR10_TEST_FILE)]);
  return {
    name: 'cifar10',
    inputShape: [SIDE, SIDE, 3],
    numClasses: 10,
    classNames: [...CIFAR10_CLASS_NAMES],
    train,
    test,
    source: `CIFAR-10 binary files in ${root}`,
    imageNormalization: CIFAR10_NORMALIZATION,
  };
}
