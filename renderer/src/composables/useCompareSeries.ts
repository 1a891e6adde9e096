/**
 * The series behind the Compare charts for the selected runs: one request per
 * step field (all runs at once), one for evaluations, one per run for each
 * layer chart. Refetched when the selection or the charts change, and
 * (throttled) while a selected run is still producing metrics.
 */
import { computed, onBeforeUnmount, onMounted, ref, type Ref } from 'vue';
import type { ApiEvent, EvalSeries, LayerField, LayerSeries, StepField, StepSeries } from '../../../common/api-contract';
import { api, subscribe } from '../api';
import type { Panel } from '../compare/panels';
import { useLatestTask } from './useLatestTask';
import { useThrottledRefresh } from './useThrottledRefresh';

export interface CompareData {
  step: Map<StepField, Map<number, StepSeries>>;
  eval: Map<number, EvalSeries>;
  /** key: layerKey(runId, field, layer) */
  layer: Map<string, LayerSeries>;
}

export function layerKey(runId: number, field: string, layer: number): string {
  return `${runId}:${field}:${layer}`;
}

const stepPoints = 1000;
const layerPoints = 600;

async function fetchAll(runIds: number[], panels: readonly Panel[]): Promise<CompareData> {
  const data: CompareData = { step: new Map(), eval: new Map(), layer: new Map() };
  if (runIds.length === 0) return data;
  // the loss series doubles as every run's timeline (epoch, samples, wall time by step)
  const stepFieldsNeeded = new Set<StepField>(['loss']);
  const layerRequests: { runId: number; field: LayerField; layer: number }[] = [];
  for (const panel of panels) {
    if (panel.metric.source === 'step') stepFieldsNeeded.add(panel.metric.field);
    if (panel.metric.source === 'layer') {
      const field = panel.metric.field;
      for (const runId of runIds) layerRequests.push({ runId, field, layer: panel.layer });
    }
  }
  const [stepLists, evalList, layerList] = await Promise.all([
    Promise.all([...stepFieldsNeeded].map((field) => api.stepSeries({ runIds, field, maxPoints: stepPoints }))),
    api.evalSeries({ runIds }),
    Promise.all(
      // a run that has no such layer (another model) simply has no line
      layerRequests.map((r) => api.layerSeries({ runId: r.runId, field: r.field, layers: [r.layer], maxPoints: layerPoints }).catch(() => null)),
    ),
  ]);
  [...stepFieldsNeeded].forEach((field, i) => data.step.set(field, new Map((stepLists[i] ?? []).map((s) => [s.runId, s]))));
  for (const series of evalList) data.eval.set(series.runId, series);
  layerRequests.forEach((r, i) => {
    const series = layerList[i];
    if (series) data.layer.set(layerKey(r.runId, r.field, r.layer), series);
  });
  return data;
}

export function useCompareSeries(runIds: Readonly<Ref<readonly number[]>>, panels: Readonly<Ref<readonly Panel[]>>) {
  const tick = ref(0);
  const request = computed(() => ({
    runIds: [...runIds.value],
    panels: panels.value.map((p) => ({ ...p, metric: { ...p.metric } })),
    tick: tick.value,
  }));
  const { result, pending, error } = useLatestTask(request, (r) => fetchAll(r.runIds, r.panels), { debounceMs: 120 });

  const { request: refreshSoon } = useThrottledRefresh(async () => {
    tick.value++;
  }, 3000);

  function onEvent(event: ApiEvent): void {
    if (event.type === 'run-metrics' && runIds.value.includes(event.runId)) refreshSoon();
    if (event.type === 'run-updated' && runIds.value.includes(event.run.id) && event.run.status !== 'running') refreshSoon();
  }
  let unsubscribe: (() => void) | null = null;
  onMounted(() => {
    unsubscribe = subscribe(onEvent);
  });
  onBeforeUnmount(() => unsubscribe?.());

  return { data: result, pending, error };
}
