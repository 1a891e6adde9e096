/**
 * The IDX format of LeCun's MNIST files (http://yann.lecun.com/exdb/mnist/):
 * a big-endian header — two zero bytes, an element-type byte, a dimension-count byte,
 * then one uint32 per dimension — followed by the elements in row-major order.
 * Only unsigned-byte elements (type 0x08) are read: 0x00000803 for images
 * (count × rows × cols), 0x00000801 for labels (count). Gzipped files are accepted.
 */
import { DatasetError } from './dataset';
import { readMaybeGzippedFile } from './dataset-file';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** `count × rows × cols` bytes, row-major, 0 … 255 as stored */
  pixels: Uint8Array;
}

const hex = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

/**
 * Checks an IDX header against the file's length and returns the dimensions. `bytes` needs only
 * the header (the pre-flight check reads 4 + 4·rank bytes of a large image file); `fileBytes` is
 * the whole file's length, from which the element count is checked.
 */
export function readIdxHeader(bytes: Uint8Array, fileBytes: number, file: string, expectedMagic: number): number[] {
  const what = expectedMagic === IDX_IMAGES_MAGIC ? 'an IDX image file' : 'an IDX label file';
  if (fileBytes < 4) throw new DatasetError(file, `is ${fileBytes} bytes long, too short to be ${what}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== expectedMagic) {
    const swapped =
      (magic === IDX_LABELS_MAGIC && expectedMagic === IDX_IMAGES_MAGIC) ||
      (magic === IDX_IMAGES_MAGIC && expectedMagic === IDX_LABELS_MAGIC);
    const found = swapped
      ? `${hex(magic)}, which is ${magic === IDX_IMAGES_MAGIC ? 'an image' : 'a label'} file; are the images and labels paths swapped?`
      : (magic >>> 16) === 0 && bytes[2] !== 0x08
        ? `${hex(magic)}: element type 0x${bytes[2]!.toString(16).padStart(2, '0')} is not supported, only unsigned bytes (0x08)`
        : `${hex(magic)}`;
    throw new DatasetError(file, `wrong magic number: expected ${hex(expectedMagic)} (${what}), found ${found}`);
  }
  const rank = bytes[3]!;
  const headerBytes = 4 + 4 * rank;
  if (fileBytes < headerBytes) {
    throw new DatasetError(file, `truncated: the header needs ${headerBytes} bytes, the file has ${fileBytes}`);
  }
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d));
  const expectedData = dims.reduce((a, b) => a * b, 1);
  const actualData = fileBytes - headerBytes;
  if (actualData < expectedData) {
    throw new DatasetError(
      file,
      `truncated: the header promises ${dims.join(' × ')} = ${expectedData} bytes of data, the file holds only ${actualData}`,
    );
  }
  if (actualData > expectedData) {
    throw new DatasetError(
      file,
      `has ${actualData - expectedData} bytes after the ${dims.join(' × ')} elements its header announces; is it the right file?`,
    );
  }
  return dims;
}

/** Checks the header and returns the dimensions and the element bytes. */
function parseIdx(bytes: Uint8Array, file: string, expectedMagic: number): { dims: number[]; data: Uint8Array } {
  const dims = readIdxHeader(bytes, bytes.length, file, expectedMagic);
  return { dims, data: bytes.subarray(4 + 4 * dims.length) };
}

export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const { dims, data } = parseIdx(bytes, file, IDX_IMAGES_MAGIC);
  const [count, rows, cols] = dims as [number, number, number];
  if (count === 0 || rows === 0 || cols === 0) {
    throw new DatasetError(file, `holds no pixels (dimensions ${dims.join(' × ')})`);
  }
  return { count, rows, cols, pixels: data };
}

/** Labels as stored; with `numClasses`, every label must lie in 0 … numClasses−1. */
export function parseIdxLabels(bytes: Uint8Array, file: string, numClasses?: number): Uint8Array {
  const { data } = parseIdx(bytes, file, IDX_LABELS_MAGIC);
  if (data.length === 0) throw new DatasetError(file, 'holds no labels');
  if (numClasses !== undefined) {
    for (let i = 0; i < data.length; i++) {
      if (data[i]! >= numClasses) {
        throw new DatasetError(file, `label ${data[i]} at index ${i} is out of range: expected 0 … ${numClasses - 1}`);
      }
    }
  }
  return data;
}

export async function readIdxImages(file: string): Promise<IdxImages> {
  return parseIdxImages(await readMaybeGzippedFile(file), file);
}

export async function readIdxLabels(file: string, numClasses?: number): Promise<Uint8Array> {
  return parseIdxLabels(await readMaybeGzippedFile(file), file, numClasses);
}

/** An image file and its label file, checked to describe the same number of samples. */
export async function readIdxPair(
  imagesFile: string,
  labelsFile: string,
  numClasses?: number,
): Promise<{ images: IdxImages; labels: Uint8Array }> {
  const [images, labels] = await Promise.all([readIdxImages(imagesFile), readIdxLabels(labelsFile, numClasses)]);
  if (labels.length !== images.count) {
    throw new DatasetError(
      labelsFile,
      `has ${labels.length} labels but ${imagesFile} has ${images.count} images; they must match one to one`,
    );
  }
  return { images, labels };
}
