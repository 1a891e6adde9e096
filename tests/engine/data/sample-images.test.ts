import { describe, expect, it } from 'vitest';
import { CIFAR10_NORMALIZATION } from '../../../main/engine/data/cifar10';
import type { Dataset } from '../../../main/engine/data/dataset';
import { classCounts, sampleImages } from '../../../main/engine/data/sample-images';

function imageDataset(channels: number, normalization?: Dataset['imageNormalization']): Dataset {
  // 2×2 images; image i has every pixel byte equal to 40·i (+ channel)
  const count = 6;
  const size = 4 * channels;
  const x = new Float32Array(count * size);
  const y = Int32Array.from([0, 1, 0, 2, 1, 0]);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < size; k++) {
      const c = k % channels;
      const p = 40 * i + c;
      const mean = normalization?.mean[c] ?? 0;
      const std = normalization?.std[c] ?? 1;
      x[i * size + k] = (p / 255 - mean) / std;
    }
  }
  const split = { x, y, count };
  return {
    name: 'tiny',
    inputShape: [2, 2, channels],
    numClasses: 3,
    classNames: ['a', 'b', 'c'],
    train: split,
    test: split,
    source: 'test',
    ...(normalization ? { imageNormalization: normalization } : {}),
  };
}

describe('sampleImages', () => {
  it('takes the first images of each class, in class order, as 0–255 grayscale', () => {
    const samples = sampleImages(imageDataset(1), 2);
    expect(samples.map((s) => s.label)).toEqual([0, 0, 1, 1, 2]);
    expect(samples[0]).toEqual({ label: 0, pixels: [0, 0, 0, 0], width: 2, height: 2, channels: 1 });
    expect(samples[1]!.pixels).toEqual([80, 80, 80, 80]);
    expect(samples[4]!.pixels).toEqual([120, 120, 120, 120]);
  });

  it('undoes per-channel normalisation for RGB', () => {
    const samples = sampleImages(imageDataset(3, CIFAR10_NORMALIZATION), 1);
    expect(samples[1]).toMatchObject({ label: 1, channels: 3 });
    expect(samples[1]!.pixels.slice(0, 6)).toEqual([40, 41, 42, 40, 41, 42]);
  });

  it('gives nothing for datasets that are not images', () => {
    const points: Dataset = { ...imageDataset(1), inputShape: [4] };
    expect(sampleImages(points, 3)).toEqual([]);
  });
});

describe('classCounts', () => {
  it('counts per class, padding to numClasses', () => {
    const split = { x: new Float32Array(0), y: Int32Array.from([2, 0, 2]), count: 3 };
    expect(classCounts(split)).toEqual([1, 0, 2]);
    expect(classCounts(split, 5)).toEqual([1, 0, 2, 0, 0]);
  });
});
