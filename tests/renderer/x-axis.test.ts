import { describe, expect, it } from 'vitest';
import { interpolate, xForSteps } from '../../renderer/src/compare/x-axis';

describe('x axis', () => {
  const timeline = { step: [1, 2, 4], epoch: [0.25, 0.5, 1], samplesSeen: [100, 200, 400], wallMs: [10, 20, 40] };

  it('interpolates between timeline points and holds at the ends', () => {
    expect(interpolate(timeline.step, timeline.samplesSeen, 3)).toBe(300);
    expect(interpolate(timeline.step, timeline.samplesSeen, 0)).toBe(100);
    expect(interpolate(timeline.step, timeline.samplesSeen, 9)).toBe(400);
    expect(interpolate([], [], 1)).toBeNull();
  });

  it('maps evaluation or layer steps to epochs, samples or wall time', () => {
    expect(xForSteps([2, 3], 'step', undefined)).toEqual([2, 3]);
    expect(xForSteps([2, 3], 'epoch', timeline)).toEqual([0.5, 0.75]);
    expect(xForSteps([2], 'wall', timeline)).toEqual([20]);
    expect(xForSteps([2], 'samples', undefined)).toBeNull();
  });
});
