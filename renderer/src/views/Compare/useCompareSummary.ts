/**
 * The tables under the Compare charts: one summary row per selected run, and the
 * mean ± half-width over each group of seeds.
 */
import { computed } from 'vue';
import { formatInterval, describeInterval, interval } from '../../../../common/stats/interval';
import { seriesColor } from '../../charts/palette';
import { summarizeRun } from '../../compare/run-summary';
import type { CompareSeries } from '../../composables/useCompareSeries';
import type { CompareSelection } from './useCompareSelection';
import type { SeedGrouping } from './useSeedGroups';

export function useCompareSummary(selection: CompareSelection, seeds: SeedGrouping, series: CompareSeries) {
  const { selectedRuns, labelOf, colorOf } = selection;

  const summaryRows = computed(() =>
    selectedRuns.value.map((run) => ({
      ...summarizeRun(run, series.data.value.eval.get(run.id)),
      label: labelOf.value.get(run.id) ?? run.label,
      color: colorOf.value.get(run.id) ?? seriesColor(0),
      status: run.status,
    })),
  );

  /** mean ± half-width of each group of seeds, for the table under the charts */
  const groupRows = computed(() =>
    seeds.groups.value
      .filter((g) => g.runIds.length > 1)
      .map((g) => {
        const rows = summaryRows.value.filter((r) => g.runIds.includes(r.runId));
        return {
          key: g.key,
          label: seeds.groupLabel(g.runIds),
          color: colorOf.value.get(g.runIds[0]!) ?? seriesColor(0),
          finalTestAccuracy: formatInterval(interval(rows.map((r) => r.finalTestAccuracy))),
          bestTestAccuracy: formatInterval(interval(rows.map((r) => r.bestTestAccuracy))),
          gap: formatInterval(interval(rows.map((r) => r.generalizationGap))),
          kind: describeInterval(interval(rows.map((r) => r.finalTestAccuracy)).kind),
        };
      }),
  );

  return { summaryRows, groupRows };
}

export type SeedGroupRow = ReturnType<typeof useCompareSummary>['groupRows']['value'][number];
