import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../../main/engine/data/dataset';
import { FASHION_MNIST_CLASS_NAMES, loadFashionMnist, parseFashionClassFile } from '../../../main/engine/data/fashion-mnist';
import { classCounts } from '../../../main/engine/data/sample-images';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const image = (value: number): string => `[${Array.from({ length: 784 }, () => value).join(',')}]`;
const digest = (data: ArrayBufferView): string => createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex').slice(0, 16);

describe('Fashion-MNIST class files', () => {
  it('parses images and skips empty entries', () => {
    const parsed = parseFashionClassFile(bytes(`{"data":[${image(7)}, [],\n${image(255)},[]]}`), 'c.json');
    expect(parsed.count).toBe(2);
    expect(parsed.skippedEmpty).toBe(2);
    expect(parsed.pixels[0]).toBe(7);
    expect(parsed.pixels[784]).toBe(255);
  });

  it('rejects short images, values above 255, junk and unfinished files', () => {
    const error = (text: string): string => {
      try {
        parseFashionClassFile(bytes(text), 'c.json');
      } catch (e) {
        expect(e).toBeInstanceOf(DatasetError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(error('{"data":[[1,2,3]]}')).toMatch(/c\.json: entry 0: 3 pixels, expected 784/);
    expect(error(`{"data":[${image(0)},${image(256)}]}`)).toMatch(/entry 1: pixel value 256 is above 255/);
    expect(error('{"data":[[0.5]]}')).toMatch(/unexpected character '\.'/);
    expect(error(`{"data":[${image(1)}`)).toMatch(/ends before its image array is closed/);
    expect(error('{}')).toMatch(/no JSON array/);
  });
});

function pixelRange(x: Float32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i]! < min) min = x[i]!;
    if (x[i]! > max) max = x[i]!;
  }
  return [min, max];
}

describe('Fashion-MNIST (real files from the fashion-mnist package)', () => {
  it('parses the JSON into the fixed 60,000/10,000 split: 6,000 and 1,000 per class', async () => {
    // (speed belongs in bench/, not in a test: a timing bound here failed whenever the machine was busy)
    const fashion = await loadFashionMnist({ cache: false });
    expect(fashion.inputShape).toEqual([28, 28, 1]);
    expect(fashion.classNames).toEqual(FASHION_MNIST_CLASS_NAMES);
    expect(fashion.classNames[9]).toBe('Ankle boot');
    expect(fashion.train.count).toBe(60000);
    expect(fashion.test.count).toBe(10000);
    expect(fashion.train.x.length).toBe(60000 * 784);
    expect(classCounts(fashion.train, 10)).toEqual(new Array(10).fill(6000));
    expect(classCounts(fashion.test, 10)).toEqual(new Array(10).fill(1000));
    expect(pixelRange(fashion.test.x)).toEqual([0, 1]);
    // pinned: the split and its order are part of the dataset's definition
    expect([...fashion.train.y.subarray(0, 10)]).toEqual([6, 0, 8, 2, 5, 1, 9, 6, 4, 9]);
    expect({ trainY: digest(fashion.train.y), testY: digest(fashion.test.y), testX: digest(fashion.test.x) }).toEqual(PINNED);
  });

  it('gives the same split through the temp-folder cache', async () => {
    const fashion = await loadFashionMnist();
    expect({ trainY: digest(fashion.train.y), testY: digest(fashion.test.y), testX: digest(fashion.test.x) }).toEqual(PINNED);
  });
});

/** sha-256 prefixes of the label and test-pixel arrays as first defined; a change here changes the dataset */
const PINNED = { trainY: 'b60dc61507238e99', testY: '7c7197dcb07faa24', testX: '1df999b4a48ae0b1' };
