/**
 * Final test accuracy against batch size: one line per optimizer, split further by any
 * other setting that differs between the runs (batch size is the x axis; seeds are
 * averaged).
 */
import { computed, type Ref } from 'vue';
import type { RunRecord } from '../../../../common/api-contract';
import { batchAxisBounds, medianNoiseScale, noiseScaleMark } from '../../../../common/report/report-charts';
import type { ChartOption } from '../../charts/echarts';
import { lineChartOption } from '../../charts/line-option';
import { seriesColor } from '../../charts/palette';
import { accuracyByBatchSize } from '../../compare/accuracy-vs-batch';
import { describeRun } from '../../compare/differing-fields';
import { optimizerNames } from '../../design/design-form';
import { optimizerTitles } from '../../design/optimizer-descriptions';
import type { CompareSelection } from './useCompareSelection';

export function useAccuracyVsBatch(
  selection: Pick<CompareSelection, 'shownRuns' | 'fields'>,
  summaryRows: Readonly<Ref<readonly { runId: number; finalTestAccuracy: number | null }[]>>,
) {
  const { shownRuns, fields } = selection;

  function accuracyLineOf(run: RunRecord): string {
    const others = fields.value.filter((f) => f !== 'batch.size' && f !== 'training.seed' && f !== 'optimizer.name');
    const optimizer = optimizerTitles[run.spec.optimizer.name];
    return others.length ? `${optimizer} · ${describeRun(run.spec, others)}` : optimizer;
  }

  const accuracyLines = computed(() => {
    const finals = new Map(summaryRows.value.map((r) => [r.runId, r.finalTestAccuracy]));
    return accuracyByBatchSize(shownRuns.value.map((r) => ({ line: accuracyLineOf(r), batchSize: r.spec.batch.size, testAccuracy: finals.get(r.id) ?? null })));
  });

  // the measured gradient noise scale (McCandlish et al. 2018), median over the shown runs: batches well above it waste samples
  const noiseScale = computed(() => medianNoiseScale(shownRuns.value.map((r) => r.summary?.noiseScale ?? NaN)));
  const accuracyOption = computed<ChartOption>(() => {
    const optimizerOf = new Map(shownRuns.value.map((r) => [accuracyLineOf(r), r.spec.optimizer.name]));
    const perOptimizer = accuracyLines.value.length === new Set(optimizerOf.values()).size;
    const option = lineChartOption({
      xName: 'batch size',
      xKind: 'log2',
      symbols: true,
      legend: true,
      lines: accuracyLines.value.map((line, i) => ({
        id: line.line,
        name: line.line,
        // with one line per optimizer, an optimizer keeps its colour from comparison to comparison
        color: seriesColor(perOptimizer ? optimizerNames.indexOf(optimizerOf.get(line.line) ?? 'sgd') : i),
        x: line.points.map((p) => p.batchSize),
        y: line.points.map((p) => p.accuracy),
      })),
    });
    const noise = noiseScale.value;
    const series = option.series as Record<string, unknown>[] | undefined;
    if (noise !== null && series?.[0]) {
      series[0].markLine = noiseScaleMark(noise);
      // a mark outside the axis is not drawn: widen the axis to include B_noise
      Object.assign(option.xAxis as Record<string, unknown>, batchAxisBounds(shownRuns.value.map((r) => r.spec.batch.size), noise));
    }
    return option;
  });
  const accuracyNote = computed(() => {
    const optimizers = new Set(shownRuns.value.map((r) => r.spec.optimizer.name)).size;
    const noise = noiseScale.value === null ? '' : `; dotted: measured gradient noise scale B ≈ ${Math.round(noiseScale.value)}`;
    return `one line per optimizer${accuracyLines.value.length > optimizers ? ' and setting' : ''}; seeds averaged${noise}`;
  });
  const accuracyEmpty = computed(() => (summaryRows.value.some((r) => r.finalTestAccuracy !== null) ? null : 'no finished evaluations among these runs yet'));

  return { accuracyOption, accuracyNote, accuracyEmpty, noiseScale };
}
