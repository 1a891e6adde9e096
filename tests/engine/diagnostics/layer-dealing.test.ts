import { describe, expect, it } from 'vitest';
import { dealLayers } from '../../../main/engine/diagnostics/layer-dealing';

describe('dealing a split curvature estimate’s layers out to threads', () => {
  it('goes in snake order while no costs are known', () => {
    expect(dealLayers(4, 2, null)).toEqual([[0, 3], [1, 2]]);
    expect(dealLayers(4, 3, null)).toEqual([[0], [1], [2, 3]]);
    expect(dealLayers(7, 3, null)).toEqual([[0, 5, 6], [1, 4], [2, 3]]);
    expect(dealLayers(1, 2, null)).toEqual([[0], []]);
  });

  it('deals by measured cost, longest first to the least loaded thread', () => {
    // the CNN of the bench: layer 0's passes cost about as much as the three others together
    expect(dealLayers(4, 2, [600, 250, 150, 50])).toEqual([[0], [1, 2, 3]]);
    expect(dealLayers(4, 2, [100, 100, 100, 100])).toEqual([[0, 2], [1, 3]]);
    expect(dealLayers(5, 3, [10, 40, 30, 20, 20])).toEqual([[1], [0, 2], [3, 4]]);
  });

  it('falls back to snake order on costs that do not fit', () => {
    expect(dealLayers(4, 2, [1, 2, 3])).toEqual([[0, 3], [1, 2]]);
    expect(dealLayers(4, 2, [1, Number.NaN, 3, 4])).toEqual([[0, 3], [1, 2]]);
    // zero costs (a coarse timer) would leave a thread with nothing to do
    expect(dealLayers(3, 3, [5, 0, 0])).toEqual([[0], [1], [2]]);
    expect(() => dealLayers(4, 0, null)).toThrow(/threads must be a positive integer, got 0/);
  });
});
