import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../../main/engine/data/dataset';
import { readIdxImages, readIdxLabels, readIdxPair } from '../../../main/engine/data/idx-reader';
import { idxBytes, idxImages, idxLabels, makeTempDir } from './fixture-files';

const tmp = makeTempDir();
afterAll(() => tmp.remove());

async function datasetError(promise: Promise<unknown>): Promise<DatasetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

describe('IDX reader', () => {
  it('reads images and labels', async () => {
    const images = await readIdxImages(tmp.file('ok-images', idxImages(3, 4, 5)));
    expect(images).toMatchObject({ count: 3, rows: 4, cols: 5 });
    expect(images.pixels.length).toBe(60);
    expect(images.pixels[20 + 7]).toBe(8); // image 1, pixel 7
    expect([...(await readIdxLabels(tmp.file('ok-labels', idxLabels([3, 1, 2]))))]).toEqual([3, 1, 2]);
  });

  it('reads gzipped files', async () => {
    const images = await readIdxImages(tmp.file('gz-images.gz', gzipSync(idxImages(2, 3, 3))));
    expect(images.count).toBe(2);
    const broken = gzipSync(idxImages(2, 3, 3)).subarray(0, 20);
    const error = await datasetError(readIdxImages(tmp.file('broken.gz', broken)));
    expect(error.message).toMatch(/gzipped but does not decompress/);
  });

  it('rejects a wrong magic number, naming the file and both numbers', async () => {
    const file = tmp.file('bad-magic', idxBytes(0x00000903, [1, 2, 2], [0, 0, 0, 0]));
    const error = await datasetError(readIdxImages(file));
    expect(error.file).toBe(file);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/wrong magic number: expected 0x00000803.*found 0x00000903/);
  });

  it('says when images and labels are swapped', async () => {
    const error = await datasetError(readIdxImages(tmp.file('labels-as-images', idxLabels([1, 2]))));
    expect(error.message).toMatch(/swapped/);
  });

  it('rejects element types other than unsigned bytes', async () => {
    const error = await datasetError(readIdxLabels(tmp.file('float-labels', idxBytes(0x00000d01, [1], [0, 0, 0, 0]))));
    expect(error.message).toMatch(/element type 0x0d is not supported/);
  });

  it('rejects truncated files: in the header and in the data', async () => {
    const full = idxImages(4, 3, 3);
    let error = await datasetError(readIdxImages(tmp.file('short-data', full.subarray(0, full.length - 5))));
    expect(error.message).toMatch(/truncated: the header promises 4 × 3 × 3 = 36 bytes of data, the file holds only 31/);
    error = await datasetError(readIdxImages(tmp.file('short-header', full.subarray(0, 10))));
    expect(error.message).toMatch(/truncated: the header needs 16 bytes/);
    error = await datasetError(readIdxImages(tmp.file('tiny', new Uint8Array([0, 0]))));
    expect(error.message).toMatch(/too short/);
  });

  it('rejects trailing bytes after the data', async () => {
    const full = idxLabels([1, 2, 3]);
    const longer = new Uint8Array(full.length + 2);
    longer.set(full);
    const error = await datasetError(readIdxLabels(tmp.file('long-labels', longer)));
    expect(error.message).toMatch(/2 bytes after/);
  });

  it('rejects a label count different from the image count, naming the label file', async () => {
    const images = tmp.file('pair-images', idxImages(3, 2, 2));
    const labels = tmp.file('pair-labels', idxLabels([0, 1]));
    const error = await datasetError(readIdxPair(images, labels, 10));
    expect(error.file).toBe(labels);
    expect(error.message).toMatch(/has 2 labels but .*pair-images has 3 images/);
  });

  it('rejects labels out of range, with the index', async () => {
    const file = tmp.file('big-labels', idxLabels([1, 9, 10, 3]));
    const error = await datasetError(readIdxLabels(file, 10));
    expect(error.message).toMatch(/label 10 at index 2 is out of range: expected 0 … 9/);
  });

  it('reports a missing file', async () => {
    const error = await datasetError(readIdxImages(`${tmp.dir}/nope-idx3-ubyte`));
    expect(error.message).toMatch(/nope-idx3-ubyte: file not found/);
  });
});
