/** Small data files in the real formats, written by the tests into a fresh temp folder. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function makeTempDir(): { dir: string; file(name: string, contents: Uint8Array | string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'batchscope-data-'));
  return {
    dir,
    file(name, contents) {
      const path = join(dir, name);
      writeFileSync(path, contents);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An IDX file: magic number, big-endian dims, then the bytes. */
export function idxBytes(magic: number, dims: number[], data: ArrayLike<number>): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint32(0, magic);
  dims.forEach((d, k) => header.setUint32(4 + 4 * k, d));
  const out = new Uint8Array(header.byteLength + data.length);
  out.set(new Uint8Array(header.buffer), 0);
  out.set(data, header.byteLength);
  return out;
}

/** `count` images of rows × cols whose pixel k of image i is (i + k) mod 256. */
export function idxImages(count: number, rows: number, cols: number): Uint8Array {
  const data = new Uint8Array(count * rows * cols);
  for (let i = 0; i < count; i++) for (let k = 0; k < rows * cols; k++) data[i * rows * cols + k] = (i + k) % 256;
  return idxBytes(0x00000803, [count, rows, cols], data);
}

export function idxLabels(labels: number[]): Uint8Array {
  return idxBytes(0x00000801, [labels.length], labels);
}

/**
 * CIFAR-10 binary records: label byte, then the red, green and blue 32×32 planes.
 * Record r has red = r, green = 100 + r, blue = 200 + (pixel index mod 50).
 */
export function cifarRecords(labels: number[]): Uint8Array {
  const plane = 32 * 32;
  const out = new Uint8Array(labels.length * (1 + 3 * plane));
  labels.forEach((label, r) => {
    const base = r * (1 + 3 * plane);
    out[base] = label;
    for (let p = 0; p < plane; p++) {
      out[base + 1 + p] = r % 256;
      out[base + 1 + plane + p] = (100 + r) % 256;
      out[base + 1 + 2 * plane + p] = 200 + (p % 50);
    }
  });
  return out;
}
