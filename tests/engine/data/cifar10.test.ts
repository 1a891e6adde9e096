import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CIFAR10_CLASS_NAMES, CIFAR10_NORMALIZATION, loadCifar10 } from '../../../main/engine/data/cifar10';
import { DatasetError } from '../../../main/engine/data/dataset';
import { cifarRecords, makeTempDir } from './fixture-files';

const tmp = makeTempDir();
afterAll(() => tmp.remove());

/** A folder in the official layout: five training batches of `perBatch` records, one test batch. */
function cifarFolder(name: string, perBatch: number, testRecords: number): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  for (let b = 1; b <= 5; b++) {
    tmp.file(`${name}/data_batch_${b}.bin`, cifarRecords(Array.from({ length: perBatch }, (_, r) => (b + r) % 10)));
  }
  tmp.file(`${name}/test_batch.bin`, cifarRecords(Array.from({ length: testRecords }, (_, r) => r % 10)));
  return dir;
}

async function datasetError(promise: Promise<unknown>): Promise<DatasetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

const expected = (p: number, c: number): number => (p / 255 - CIFAR10_NORMALIZATION.mean[c]!) / CIFAR10_NORMALIZATION.std[c]!;

describe('CIFAR-10 binary folder', () => {
  it('loads all batches as NHWC floats normalised per channel', async () => {
    const cifar = await loadCifar10(cifarFolder('ok', 3, 4));
    expect(cifar.inputShape).toEqual([32, 32, 3]);
    expect(cifar.classNames).toEqual(CIFAR10_CLASS_NAMES);
    expect(cifar.train.count).toBe(15);
    expect(cifar.test.count).toBe(4);
    expect(cifar.train.x.length).toBe(15 * 3072);
    expect([...cifar.train.y.subarray(0, 6)]).toEqual([1, 2, 3, 2, 3, 4]);
    expect([...cifar.test.y]).toEqual([0, 1, 2, 3]);
    // test record 2: red 2, green 102, blue 200 + (pixel mod 50); pixel 7 sits at HWC offset 3·7
    const record = 2 * 3072;
    expect(cifar.test.x[record + 21]).toBeCloseTo(expected(2, 0), 5);
    expect(cifar.test.x[record + 22]).toBeCloseTo(expected(102, 1), 5);
    expect(cifar.test.x[record + 23]).toBeCloseTo(expected(207, 2), 5);
    expect(cifar.imageNormalization).toEqual(CIFAR10_NORMALIZATION);
  });

  it('finds the files in the cifar-10-batches-bin subfolder of the archive', async () => {
    cifarFolder('extracted/cifar-10-batches-bin', 1, 1);
    const cifar = await loadCifar10(join(tmp.dir, 'extracted'));
    expect(cifar.train.count).toBe(5);
  });

  it('reports a missing folder with where to get the data', async () => {
    const error = await datasetError(loadCifar10(join(tmp.dir, 'absent')));
    expect(error.message).toMatch(/absent: folder not found; give the folder of the CIFAR-10 binary version/);
  });

  it('reports a missing batch file by name', async () => {
    const dir = join(tmp.dir, 'partial');
    mkdirSync(dir);
    tmp.file('partial/data_batch_1.bin', cifarRecords([1]));
    tmp.file('partial/test_batch.bin', cifarRecords([1]));
    const error = await datasetError(loadCifar10(dir));
    expect(error.file).toBe(join(dir, 'data_batch_2.bin'));
    expect(error.message).toMatch(/data_batch_2\.bin: missing/);
  });

  it('rejects a size that is not a multiple of 3,073 bytes', async () => {
    const dir = cifarFolder('bad-size', 2, 2);
    tmp.file('bad-size/data_batch_3.bin', cifarRecords([1, 2]).subarray(0, 5000));
    const error = await datasetError(loadCifar10(dir));
    expect(error.file).toBe(join(dir, 'data_batch_3.bin'));
    expect(error.message).toMatch(/is 5000 bytes, not a positive multiple of the 3073-byte CIFAR-10 record/);
  });

  it('rejects labels above 9, with the record number', async () => {
    const dir = cifarFolder('bad-label', 2, 3);
    tmp.file('bad-label/test_batch.bin', cifarRecords([0, 1, 12]));
    const error = await datasetError(loadCifar10(dir));
    expect(error.message).toMatch(/test_batch\.bin: record 2 has label 12; CIFAR-10 labels are 0 … 9/);
  });
});
