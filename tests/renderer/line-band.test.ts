import { describe, expect, it } from 'vitest';
import { lineChartOption } from '../../renderer/src/charts/line-option';

type Series = { id: string; data: [number, number | null][]; stack?: string; areaStyle?: unknown; tooltip?: { show: boolean } };

describe('line chart bands', () => {
  it('draws a band as a hidden lower edge and a shaded width stacked on it, kept out of the tooltip', () => {
    const option = lineChartOption({
      xName: 'step',
      lines: [
        { id: 'k', name: 'dense_1', color: '#123456', x: [0, 50, 100], y: [2, 3, null], band: { lower: [1.5, null, null], upper: [2.5, null, 0.1] } },
        { id: 'plain', name: 'dense_2', color: '#654321', x: [0], y: [1] },
      ],
    });
    const series = option.series as Series[];
    expect(series.map((s) => s.id)).toEqual(['k-band-lower', 'k-band', 'k', 'plain']);
    const [lower, width] = series;
    expect(lower!.data).toEqual([[0, 1.5], [50, null], [100, null]]);
    expect(width!.data).toEqual([[0, 1], [50, null], [100, null]]);
    expect(lower!.stack).toBe(width!.stack);
    expect(width!.areaStyle).toBeDefined();
    expect(lower!.tooltip?.show).toBe(false);
  });

  it('drops band points that a log axis cannot show', () => {
    const option = lineChartOption({ xName: 'step', logY: true, lines: [{ id: 'k', name: 'k', color: '#000', x: [0, 1], y: [1, 1], band: { lower: [-1, 0.5], upper: [3, 1.5] } }] });
    expect((option.series as Series[])[0]!.data).toEqual([[0, null], [1, 0.5]]);
  });
});
