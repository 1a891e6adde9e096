/** ECharts themes mirroring the CSS tokens in styles/theme.css. */
import { seriesColors } from './palette';

interface ThemeColors {
  text: string;
  muted: string;
  axis: string;
  split: string;
  tooltipBg: string;
  tooltipBorder: string;
}

function theme(c: ThemeColors): object {
  const axis = {
    axisLine: { lineStyle: { color: c.axis } },
    axisTick: { lineStyle: { color: c.axis } },
    axisLabel: { color: c.muted, fontSize: 11 },
    splitLine: { lineStyle: { color: c.split } },
    nameTextStyle: { color: c.muted, fontSize: 11 },
  };
  return {
    color: [...seriesColors],
    backgroundColor: 'transparent',
    textStyle: { color: c.text, fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
    title: { textStyle: { color: c.text, fontSize: 12, fontWeight: 600 }, subtextStyle: { color: c.muted } },
    categoryAxis: axis,
    valueAxis: axis,
    logAxis: axis,
    timeAxis: axis,
    tooltip: {
      backgroundColor: c.tooltipBg,
      borderColor: c.tooltipBorder,
      textStyle: { color: c.text, fontSize: 12 },
    },
    visualMap: { textStyle: { color: c.muted } },
    legend: { textStyle: { color: c.text }, inactiveColor: c.axis },
  };
}

export const chartThemes = {
  'batchscope-light': theme({ text: '#1d232b', muted: '#5d6673', axis: '#c3c9d2', split: '#eceff3', tooltipBg: '#ffffff', tooltipBorder: '#dde1e7' }),
  'batchscope-dark': theme({ text: '#e3e7ec', muted: '#98a2af', axis: '#424a55', split: '#262b33', tooltipBg: '#232830', tooltipBorder: '#2f353e' }),
} as const;

export type ChartThemeName = keyof typeof chartThemes;

export function chartThemeName(isDark: boolean): ChartThemeName {
  return isDark ? 'batchscope-dark' : 'batchscope-light';
}

/** Opaque backgrounds for PNG snapshots (the live charts are transparent over the card). */
export function snapshotBackground(isDark: boolean): string {
  return isDark ? '#1a1e24' : '#ffffff';
}
