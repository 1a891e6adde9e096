/**
 * Steps to a target per batch size (Shallue et al. 2019), for sweeps over batch size:
 * the target metric and value (proposed from the runs until the user sets one) and the
 * chart of the step, or samples, at which each shown run first reached it.
 */
import { computed, ref } from 'vue';
import { stepsToTargetChart } from '../../../../common/report/report-charts';
import { defaultTarget, describeTarget, reachOfRuns, type TargetMetric } from '../../../../common/report/steps-to-target';
import type { ChartOption } from '../../charts/echarts';
import { interpolate } from '../../compare/x-axis';
import type { CompareSeries } from '../../composables/useCompareSeries';
import { cardChart } from '../../report/card-option';
import type { CompareSelection } from './useCompareSelection';

export function useStepsToTarget(selection: Pick<CompareSelection, 'shownRuns'>, series: CompareSeries) {
  const { shownRuns } = selection;
  const { data } = series;
  const targetMetric = ref<TargetMetric>('testAccuracy');
  const chosenTarget = ref<number | null>(null);
  const proposedTarget = computed(() => defaultTarget(targetMetric.value, shownRuns.value.map((r) => data.value.eval.get(r.id)).filter((e) => e !== undefined)));
  const targetValue = computed(() => chosenTarget.value ?? proposedTarget.value);
  /** the value as the input shows it: accuracy in per cent */
  const targetInput = computed({
    get: () => (targetValue.value === null ? '' : targetMetric.value === 'testAccuracy' ? Number((targetValue.value * 100).toFixed(2)) : targetValue.value),
    set: (v: string | number) => {
      const n = Number(v);
      chosenTarget.value = v === '' || !Number.isFinite(n) ? null : targetMetric.value === 'testAccuracy' ? n / 100 : n;
    },
  });
  function setTargetMetric(metric: TargetMetric): void {
    targetMetric.value = metric;
    chosenTarget.value = null;
  }
  const reachPoints = computed(() => {
    const value = targetValue.value;
    if (value === null) return [];
    const evals = shownRuns.value.map((r) => data.value.eval.get(r.id)).filter((e) => e !== undefined);
    return reachOfRuns(shownRuns.value, evals, { metric: targetMetric.value, value }, (runId) => {
      const timeline = data.value.step.get('loss')?.get(runId);
      return timeline ? (step: number) => interpolate(timeline.step, timeline.samplesSeen, step) : undefined;
    });
  });
  const targetLabel = computed(() => (targetValue.value === null ? '' : describeTarget({ metric: targetMetric.value, value: targetValue.value })));
  const reachOption = computed<ChartOption>(() => cardChart(stepsToTargetChart(reachPoints.value, targetLabel.value)).option);
  const reachEmpty = computed(() =>
    !series.loaded.value.has('eval') && series.pending.value ? 'loading…' : reachPoints.value.length === 0 ? 'no evaluations among these runs yet' : null,
  );
  return { targetMetric, targetInput, setTargetMetric, reachOption, reachEmpty };
}
