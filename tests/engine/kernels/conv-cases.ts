/** Convolution geometries the conv-gradient tests sweep. */
import type { Conv2DAttrs } from '@tensorflow/tfjs-core';

export interface ConvCase {
  x: [number, number, number, number]; // NHWC
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Conv2DAttrs['pad'];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const pads: Conv2DAttrs['pad'][] = ['same', 'valid', 1, [[0, 0], [2, 0], [1, 2], [0, 0]]];

export const convCases: ConvCase[] = [
  // the CNN's convolutions (smaller batch)
  { x: [4, 28, 28, 1], filter: [5, 5, 1, 16], strides: 1, pad: 'same' },
  { x: [4, 14, 14, 16], filter: [5, 5, 16, 32], strides: 1, pad: 'same' },
  // a ResNet's: 3x3 stride 1 and 2, 1x1 stride-2 shortcut
  { x: [3, 16, 16, 8], filter: [3, 3, 8, 8], strides: 1, pad: 'same' },
  { x: [3, 16, 16, 8], filter: [3, 3, 8, 16], strides: 2, pad: 'same' },
  { x: [3, 16, 16, 8], filter: [1, 1, 8, 16], strides: 2, pad: 'same' },
  // every padding kind at strides 1, 2, 3 and mixed, odd sizes that do not tile
  ...pads.flatMap((pad) =>
    ([1, 2, 3, [2, 1]] as const).map((strides) => ({ x: [2, 9, 8, 3], filter: [3, 2, 3, 4], strides, pad }) as ConvCase),
  ),
  ...pads.map((pad) => ({ x: [2, 11, 10, 2], filter: [5, 5, 2, 3], strides: 2, pad }) as ConvCase),
  // pointwise convs: stride 1, and padded (which needs the general path)
  { x: [2, 6, 5, 4], filter: [1, 1, 4, 3], strides: 1, pad: 'valid' },
  { x: [2, 6, 5, 4], filter: [1, 1, 4, 3], strides: 2, pad: 1 },
  // filters smaller than the stride leave input rows without gradient
  { x: [2, 7, 7, 3], filter: [1, 1, 3, 2], strides: 3, pad: 'valid' },
  { x: [2, 7, 7, 3], filter: [2, 2, 3, 2], strides: 3, pad: 'same' },
  // padding wider than the filter
  { x: [2, 6, 6, 2], filter: [2, 2, 2, 3], strides: 1, pad: 3 },
  { x: [2, 6, 6, 2], filter: [3, 3, 2, 3], strides: 2, pad: [[0, 0], [4, 1], [0, 3], [0, 0]] },
  // rounding modes for numeric padding
  { x: [2, 8, 8, 2], filter: [3, 3, 2, 2], strides: 2, pad: 0, dimRoundingMode: 'ceil' },
  { x: [2, 8, 8, 2], filter: [3, 3, 2, 2], strides: 2, pad: 0, dimRoundingMode: 'floor' },
  // batch of one, single channels
  { x: [1, 5, 5, 1], filter: [3, 3, 1, 1], strides: 1, pad: 'same' },
  // stride 1 (the filter gradient's in-place GEMM): one image with more positions than a
  // K block (256) under asymmetric padding, a 'valid' 5x5 on 16 channels, a single
  // output position, a filter wider than the image, and a column count no tile divides
  { x: [1, 24, 20, 3], filter: [3, 3, 3, 5], strides: 1, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  { x: [3, 12, 11, 16], filter: [5, 5, 16, 8], strides: 1, pad: 'valid' },
  { x: [5, 3, 3, 16], filter: [3, 3, 16, 4], strides: 1, pad: 'valid' },
  { x: [2, 4, 4, 3], filter: [5, 5, 3, 2], strides: 1, pad: 'same' },
  { x: [3, 10, 10, 1], filter: [3, 3, 1, 33], strides: 1, pad: 'same' },
];

export const label = (c: ConvCase): string =>
  `x [${c.x}] filter [${c.filter}] strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}${c.dimRoundingMode ? ` ${c.dimRoundingMode}` : ''}`;
