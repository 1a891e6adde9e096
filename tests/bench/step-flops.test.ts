import { describe, expect, it } from 'vitest';
import { mlpLayerWidths, mlpStepFlops } from '../../bench/step-flops';

describe('mlpStepFlops', () => {
  it('counts forward, weight and input gradients, but no input gradient for the first layer', () => {
    // one layer 3 → 2 at B=4: forward 2·4·6 and dW 2·4·6, no dx
    expect(mlpStepFlops([3, 2], 4)).toBe(96);
    // two layers 3 → 2 → 5 at B=1: first layer 2·6·2, second 2·10·3
    expect(mlpStepFlops([3, 2, 5], 1)).toBe(24 + 60);
  });

  it('gives 257.8 MFLOP for the benchmark MLP at B=256', () => {
    const widths = mlpLayerWidths(784, [256, 128], 10);
    expect(widths).toEqual([784, 256, 128, 10]);
    expect(mlpStepFlops(widths, 256)).toBe(2 * 256 * (2 * 784 * 256 + 3 * 256 * 128 + 3 * 128 * 10));
  });
});
