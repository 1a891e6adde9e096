/**
 * Pictures and counts for the app: a strip of example images per class, drawn back
 * from normalised features to bytes, and how many samples each class has.
 */
import type { Dataset, DataSplit } from './dataset';
import { featureToPixel, UNIT_SCALE } from './image-normalization';
import type { SampleImage } from '../../../common/api-contract';

export type { SampleImage };

/**
 * The first `perClass` images of each class in the split's order (deterministic, no
 * seed), ordered by class. Empty for datasets whose samples are not images
 * (inputShape other than [height, width, 1 or 3]).
 */
export function sampleImages(dataset: Dataset, perClass: number, split: 'train' | 'test' = 'train'): SampleImage[] {
  const [height, width, channels] = dataset.inputShape;
  if (dataset.inputShape.length !== 3 || height === undefined || width === undefined || (channels !== 1 && channels !== 3)) return [];
  const { x, y, count } = dataset[split];
  const norm = dataset.imageNormalization ?? UNIT_SCALE;
  const size = height * width * channels;
  const chosen: number[][] = Array.from({ length: dataset.numClasses }, () => []);
  let missing = perClass * dataset.numClasses;
  for (let i = 0; i < count && missing > 0; i++) {
    const rows = chosen[y[i]!];
    if (rows && rows.length < perClass) {
      rows.push(i);
      missing--;
    }
  }
  return chosen.flatMap((rows, label) =>
    rows.map((row) => ({
      label,
      pixels: Array.from(x.subarray(row * size, (row + 1) * size), (value, k) => featureToPixel(value, k % channels, norm)),
      width,
      height,
      channels,
    })),
  );
}

/** Samples per class, index = class; `numClasses` pads classes that never occur. */
export function classCounts(split: DataSplit, numClasses = 0): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < split.count; i++) {
    const label = split.y[i]!;
    while (counts.length <= label) counts.push(0);
    counts[label]!++;
  }
  return counts;
}
