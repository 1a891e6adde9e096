/**
 * Series colours: distinguishable in light and dark themes, assigned by
 * position so a run keeps its colour across every chart of a view.
 */
export const seriesColors = [
  '#3b7ddd',
  '#e8743b',
  '#19a979',
  '#d64d8a',
  '#9a6fd6',
  '#c9a227',
  '#2bb3c0',
  '#8c6d46',
  '#6c8ebf',
  '#d95f5f',
  '#5f9e3f',
  '#7f7f7f',
] as const;

export function seriesColor(index: number): string {
  return seriesColors[((index % seriesColors.length) + seriesColors.length) % seriesColors.length]!;
}
