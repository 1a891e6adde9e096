/**
 * The report's chart options (common/report, shared with the HTML file) carry
 * their title inside the chart; in the app a ChartCard shows the title, so it
 * moves out of the option and the plot takes the freed space.
 */
import type { ChartOption } from '../charts/echarts';

interface TitledOption {
  title?: { text?: string; subtext?: string };
  grid?: { top?: number };
}

export interface CardChart {
  title: string;
  subtitle: string;
  option: ChartOption;
}

/** space above the plot for the y axis names once the title is gone */
const gridTopPx = 32;

export function cardChart(reportOption: Record<string, unknown>): CardChart {
  const { title, grid, ...rest } = reportOption as TitledOption & Record<string, unknown>;
  return {
    title: title?.text ?? '',
    subtitle: title?.subtext ?? '',
    option: { ...rest, grid: { ...grid, top: gridTopPx } } as ChartOption,
  };
}
