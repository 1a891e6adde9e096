/**
 * The chart panels of Compare and the series behind them: which metric (and layer) each
 * panel shows, the shared x axis, smoothing and log scale, and each panel's lines —
 * one per shown run, or one mean line with a band per group of seeds.
 */
import { computed, ref } from 'vue';
import { bandOf } from '../../../../common/stats/band';
import { describeInterval } from '../../../../common/stats/interval';
import type { ChartOption } from '../../charts/echarts';
import { ema } from '../../charts/ema';
import { lineChartOption, type LineData } from '../../charts/line-option';
import { seriesColor } from '../../charts/palette';
import { defaultPanels, metricFromKey, metricKey, metricTitles, type Panel } from '../../compare/panels';
import { xAxisLabels, xForSteps, xOfStepSeries, type XAxisKind } from '../../compare/x-axis';
import { layerKey, useCompareSeries } from '../../composables/useCompareSeries';
import type { CompareSelection } from './useCompareSelection';
import type { SeedGrouping } from './useSeedGroups';

export interface PanelView {
  panel: Panel;
  key: string;
  title: string;
  option: ChartOption;
  /** why the chart is empty, or null when it has lines */
  empty: string | null;
}

export function useComparePanels(selection: CompareSelection, seeds: Pick<SeedGrouping, 'groups' | 'groupLabel'>) {
  const { selectedIds, selectedRuns, shownRuns, labelOf, colorOf, batchSizesDiffer } = selection;

  /**
   * Runs that differ in batch size take different numbers of steps for the same
   * data, so step would make large batches look fast: samples seen is the
   * default then, until the user picks an axis.
   */
  const chosenXKind = ref<XAxisKind | null>(null);
  const xKind = computed<XAxisKind>({
    get: () => chosenXKind.value ?? (batchSizesDiffer.value ? 'samples' : 'step'),
    set: (kind) => {
      chosenXKind.value = kind;
    },
  });
  /** draw every run, not the mean and band of each group of seeds */
  const showSingleRuns = ref(false);
  const smoothing = ref(0);
  const logY = ref(false);
  const panels = ref<Panel[]>(defaultPanels());
  let nextPanelId = panels.value.length;

  const series = useCompareSeries(selectedIds, panels);
  const { data, loaded: seriesLoaded, pending } = series;

  /** layers of the first selected run that has any, for the layer pickers */
  const layerChoices = computed(() => selectedRuns.value.find((r) => r.layers.length > 0)?.layers.map((l, i) => ({ index: i, name: l.name })) ?? []);

  function panelLines(panel: Panel): LineData[] {
    const d = data.value;
    const lines: LineData[] = [];
    for (const run of shownRuns.value) {
      const timeline = d.step.get('loss')?.get(run.id);
      let x: number[] | null = null;
      let y: readonly (number | null)[] = [];
      const { metric } = panel;
      if (metric.source === 'step') {
        const series = d.step.get(metric.field)?.get(run.id);
        if (series) {
          x = xOfStepSeries(series, xKind.value);
          y = series.value;
        }
      } else if (metric.source === 'eval') {
        const series = d.eval.get(run.id);
        if (series) {
          x = xKind.value === 'samples' ? xForSteps(series.step, 'samples', timeline) : xKind.value === 'step' ? series.step : xKind.value === 'epoch' ? series.epoch : series.wallMs;
          y = series[metric.field];
        }
      } else {
        const series = d.layer.get(layerKey(run.id, metric.field, panel.layer))?.layers[0];
        if (series) {
          x = xForSteps(series.step, xKind.value, timeline);
          y = series.value;
        }
      }
      if (!x || x.length === 0) continue;
      lines.push({ id: `run-${run.id}`, name: labelOf.value.get(run.id) ?? run.label, color: colorOf.value.get(run.id) ?? seriesColor(0), x, y: ema(y, smoothing.value) });
    }
    return showSingleRuns.value ? lines : withSeedBands(lines);
  }

  /** Replaces the lines of each group of seeds by their mean and band. */
  function withSeedBands(lines: LineData[]): LineData[] {
    const byId = new Map(lines.map((l) => [l.id, l]));
    const out: LineData[] = [];
    for (const group of seeds.groups.value) {
      const members = group.runIds.map((id) => byId.get(`run-${id}`)).filter((l) => l !== undefined);
      if (members.length < 2) {
        out.push(...members);
        continue;
      }
      const band = bandOf(members);
      out.push({
        id: `seeds-${group.runIds.join('-')}`,
        name: `${seeds.groupLabel(group.runIds)} (mean, ${describeInterval(band.kind)})`,
        color: members[0]!.color,
        x: band.x,
        y: band.mean,
        band: { lower: band.lower, upper: band.upper },
      });
    }
    return out;
  }

  const panelViews = computed<PanelView[]>(() =>
    panels.value.map((panel) => {
      const lines = panelLines(panel);
      const key = metricKey(panel.metric);
      const option: ChartOption = lineChartOption({
        lines,
        xName: xAxisLabels[xKind.value],
        xKind: xKind.value === 'wall' ? 'duration' : 'number',
        logY: logY.value,
        symbols: panel.metric.source === 'eval' && lines.every((l) => l.x.length < 40),
      });
      const noPositive = logY.value && lines.length > 0 && lines.every((l) => !l.y.some((v) => v !== null && v > 0));
      const empty =
        selectedRuns.value.length === 0
          ? null
          : !seriesLoaded.value.has(panel.metric.source) && pending.value
            ? 'loading…'
            : lines.length === 0
              ? 'no data for these runs'
              : noPositive
                ? 'no positive values to draw on a log scale'
                : null;
      return { panel, key, option, empty, title: metricTitles[key] ?? key };
    }),
  );

  function setPanelMetric(panel: Panel, key: string): void {
    const metric = metricFromKey(key);
    if (metric) panel.metric = metric;
  }
  function setPanelLayer(panel: Panel, layer: number): void {
    panel.layer = layer;
  }
  function addPanel(): void {
    panels.value.push({ id: nextPanelId++, metric: { source: 'step', field: 'lr' }, layer: 0 });
  }
  function removePanel(id: number): void {
    panels.value = panels.value.filter((p) => p.id !== id);
  }

  return { xKind, showSingleRuns, smoothing, logY, panelViews, layerChoices, setPanelMetric, setPanelLayer, addPanel, removePanel, series };
}
