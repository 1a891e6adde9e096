import { afterAll, describe, expect, it } from 'vitest';
import { datasetSpecSchema, type DatasetSpec } from '../../../common/spec';
import { DatasetError, type Dataset } from '../../../main/engine/data/dataset';
import { listDatasets, loadDataset } from '../../../main/engine/data/load-dataset';
import { classCounts } from '../../../main/engine/data/sample-images';
import { idxImages, idxLabels, makeTempDir } from './fixture-files';

const tmp = makeTempDir();
afterAll(() => tmp.remove());

const spec = (input: unknown): DatasetSpec => datasetSpecSchema.parse(input);
const load = (input: unknown, seed: number): Promise<Dataset> => loadDataset(spec(input), seed);

describe('loadDataset: hold-out, limits, determinism', () => {
  it('same seed gives the same data in the same order, another seed other data', async () => {
    const blobs = { kind: 'blobs', samples: 500, classes: 3 };
    const a = await load(blobs, 7);
    const b = await load(blobs, 7);
    const c = await load(blobs, 8);
    expect(b.train).toEqual(a.train);
    expect(b.test).toEqual(a.test);
    expect(c.train.x).not.toEqual(a.train.x);
  });

  it('holds out testFraction, stratified by class', async () => {
    const d = await load({ kind: 'blobs', samples: 1000, classes: 4, testFraction: 0.25 }, 1);
    expect(d.train.count).toBe(750);
    expect(d.test.count).toBe(250);
    expect(classCounts(d.test, 4)).toEqual([63, 63, 62, 62]);
    expect(d.inputShape).toEqual([2]);
    expect(d.classNames).toEqual(['0', '1', '2', '3']);
    expect(d.source).toMatch(/25% held out/);
    const spirals = await load({ kind: 'spirals', samples: 300, arms: 3 }, 1);
    expect([spirals.train.count, spirals.test.count]).toEqual([240, 60]);
    expect(spirals.numClasses).toBe(3);
  });

  it('applies trainLimit and testLimit as seeded stratified subsets, each from its own stream', async () => {
    const base = { kind: 'blobs', samples: 2000, classes: 4 };
    const full = await load(base, 3);
    const limited = await load({ ...base, trainLimit: 100, testLimit: 40 }, 3);
    expect(limited.train.count).toBe(100);
    expect(limited.test.count).toBe(40);
    expect(limited.train.x.length).toBe(200);
    expect(classCounts(limited.train, 4)).toEqual([25, 25, 25, 25]);
    expect(classCounts(limited.test, 4)).toEqual([10, 10, 10, 10]);
    expect(limited.source).toMatch(/train limited to 100 of 1600, test limited to 40 of 400/);
    // the subset is not simply the first N
    expect(limited.train.x).not.toEqual(full.train.x.subarray(0, 200));
    // a different testLimit leaves the training subset alone
    const otherTestLimit = await load({ ...base, trainLimit: 100, testLimit: 10 }, 3);
    expect(otherTestLimit.train).toEqual(limited.train);
    // limits at or above the size keep everything
    const generous = await load({ ...base, trainLimit: 5000 }, 3);
    expect(generous.train).toEqual(full.train);
  });

  it('limits real MNIST to a seeded, class-balanced subset', async () => {
    const a = await load({ kind: 'mnist', trainLimit: 1000, testLimit: 200 }, 1);
    expect(a.train.count).toBe(1000);
    expect(a.test.count).toBe(200);
    expect(a.train.x.length).toBe(1000 * 784);
    for (const count of classCounts(a.train, 10)) expect(count).toBeGreaterThanOrEqual(89);
    for (const count of classCounts(a.train, 10)) expect(count).toBeLessThanOrEqual(113);
    expect([...a.train.y.subarray(0, 20)]).not.toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5, 3, 6, 1, 7, 2, 8, 6, 9]);
    const b = await load({ kind: 'mnist', trainLimit: 1000, testLimit: 200 }, 2);
    expect(b.train.y).not.toEqual(a.train.y);
  });
});

describe('loadDataset: CSV', () => {
  it('z-scores features with training statistics only', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `${i},${1000 + 3 * i},${i % 2}`);
    const path = tmp.file('lines.csv', ['u,v,label', ...rows].join('\n'));
    const d = await load({ kind: 'csv', path }, 5);
    expect(d.inputShape).toEqual([2]);
    expect(d.numClasses).toBe(2);
    expect([d.train.count, d.test.count]).toEqual([160, 40]);
    for (const f of [0, 1]) {
      const values = Array.from({ length: d.train.count }, (_, i) => d.train.x[2 * i + f]!);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
      expect(mean).toBeCloseTo(0, 4);
      expect(sd).toBeCloseTo(1, 4);
    }
    expect(d.source).toMatch(/label column "label".*z-scored/);
  });
});

describe('loadDataset: IDX files', () => {
  const trainImages = tmp.file('train-images', idxImages(30, 4, 3));
  const trainLabels = tmp.file('train-labels', idxLabels(Array.from({ length: 30 }, (_, i) => i % 3)));
  const testImages = tmp.file('test-images', idxImages(6, 4, 3));

  it('reads train and test files', async () => {
    const testLabels = tmp.file('test-labels', idxLabels([0, 1, 2, 0, 1, 2]));
    const d = await load({ kind: 'idx', trainImages, trainLabels, testImages, testLabels }, 0);
    expect(d.inputShape).toEqual([4, 3, 1]);
    expect(d.numClasses).toBe(3);
    expect([d.train.count, d.test.count]).toEqual([30, 6]);
    expect(d.train.x[1]).toBeCloseTo(1 / 255, 6);
  });

  it('holds out testFraction without test files', async () => {
    const d = await load({ kind: 'idx', trainImages, trainLabels, testFraction: 0.5 }, 0);
    expect([d.train.count, d.test.count]).toEqual([15, 15]);
    expect(d.imageNormalization).toBeDefined();
  });

  it('rejects test labels the training set does not have, and half-given test files', async () => {
    const testLabels = tmp.file('test-labels-7', idxLabels([0, 1, 7, 0, 1, 2]));
    await expect(load({ kind: 'idx', trainImages, trainLabels, testImages, testLabels }, 0)).rejects.toThrow(
      /test-labels-7: label 7 at index 2 is out of range: the training labels are 0 … 2/,
    );
    await expect(load({ kind: 'idx', trainImages, trainLabels, testImages }, 0)).rejects.toThrow(DatasetError);
  });
});

describe('listDatasets', () => {
  it('lists every spec kind and what is there offline', () => {
    const listing = listDatasets();
    expect(listing.map((d) => d.kind).sort()).toEqual(['blobs', 'cifar10', 'csv', 'fashion-mnist', 'idx', 'mnist', 'spirals']);
    const byKind = Object.fromEntries(listing.map((d) => [d.kind, d]));
    expect(byKind.mnist).toMatchObject({ available: true, trainSamples: 60000, testSamples: 10000 });
    expect(byKind['fashion-mnist']).toMatchObject({ available: true, trainSamples: 60000, testSamples: 10000 });
    expect(byKind.cifar10).toMatchObject({ available: false });
    expect(byKind.cifar10!.note).toMatch(/folder/);
    expect(byKind.blobs!.available).toBe(true);
  });
});
