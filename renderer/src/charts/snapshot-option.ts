/**
 * A chart as a stand-alone picture: the on-screen option plus a title and a
 * legend above the plot (on screen both live in the surrounding HTML).
 */
import type { ChartOption } from './echarts';

const legendRowPx = 20;
const titlePx = 30;

function seriesNames(option: ChartOption): string[] {
  const series = Array.isArray(option.series) ? option.series : option.series ? [option.series] : [];
  return series.map((s) => (typeof s.name === 'string' ? s.name : '')).filter((n) => n !== '');
}

/** How many rows a plain legend of these names needs at this width (about 6.5 px a character). */
function legendRows(names: readonly string[], widthPx: number): number {
  if (names.length === 0) return 0;
  let rows = 1;
  let used = 0;
  for (const name of names) {
    const item = name.length * 6.5 + 36;
    if (used > 0 && used + item > widthPx - 32) {
      rows++;
      used = 0;
    }
    used += item;
  }
  return rows;
}

export function snapshotOption(option: ChartOption, title: string, widthPx: number): { option: ChartOption; extraHeightPx: number } {
  const names = seriesNames(option);
  const rows = legendRows(names, widthPx);
  const headPx = titlePx + rows * legendRowPx;
  const grid = Array.isArray(option.grid) ? option.grid[0] : option.grid;
  const gridTop = typeof grid?.top === 'number' ? grid.top : 22;
  return {
    extraHeightPx: headPx,
    option: {
      ...option,
      animation: false,
      title: { text: title, left: 'center', top: 6, textStyle: { fontSize: 14 } },
      legend: { show: rows > 0, type: 'plain', top: titlePx, left: 'center', icon: 'roundRect', itemWidth: 14, itemHeight: 4, textStyle: { fontSize: 11 } },
      grid: { ...grid, top: gridTop + headPx - (Array.isArray(option.legend) ? 0 : option.legend?.show ? 12 : 0) },
    },
  };
}
