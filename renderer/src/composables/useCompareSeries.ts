/**
 * The series behind the Compare charts for the selected runs: one request per
 * step field (all runs at once), one for evaluations, one per run for each
 * layer chart. The three kinds load independently, so a chart draws as soon as
 * its own series are in (the step series of long runs take longest to
 * downsample) and a changed chart refetches only its kind. Refetched when the
 * selection or the charts change, and (throttled) while a selected run is
 * still producing metrics.
 */
import { computed, onBeforeUnmount, onMounted, ref, type Ref } from 'vue';
import type { ApiEvent, EvalSeries, LayerField, LayerSeries, StepField, StepSeries } from '../../../common/api-contract';
import { api, subscribe } from '../api';
import type { Panel, PanelMetric } from '../compare/panels';
import { useLatestTask } from './useLatestTask';
import { useThrottledRefresh } from './useThrottledRefresh';

export interface CompareData {
  step: Map<StepField, Map<number, StepSeries>>;
  eval: Map<number, EvalSeries>;
  /** key: layerKey(runId, field, layer) */
  layer: Map<string, LayerSeries>;
}

export type SeriesSource = PanelMetric['source'];

export function layerKey(runId: number, field: string, layer: number): string {
  return `${runId}:${field}:${layer}`;
}

const stepPoints = 1000;
const layerPoints = 600;
const debounceMs = 120;

type LayerRequest = { runId: number; field: LayerField; layer: number };

async function fetchSteps(runIds: number[], fields: StepField[]): Promise<CompareData['step']> {
  if (runIds.length === 0) return new Map();
  const lists = await Promise.all(fields.map((field) => api.stepSeries({ runIds, field, maxPoints: stepPoints })));
  return new Map(fields.map((field, i) => [field, new Map((lists[i] ?? []).map((s) => [s.runId, s]))]));
}

async function fetchEvals(runIds: number[]): Promise<CompareData['eval']> {
  if (runIds.length === 0) return new Map();
  return new Map((await api.evalSeries({ runIds })).map((s) => [s.runId, s]));
}

async function fetchLayers(requests: LayerRequest[]): Promise<CompareData['layer']> {
  // a run that has no such layer (another model) simply has no line
  const list = await Promise.all(requests.map((r) => api.layerSeries({ runId: r.runId, field: r.field, layers: [r.layer], maxPoints: layerPoints }).catch(() => null)));
  const layers: CompareData['layer'] = new Map();
  requests.forEach((r, i) => {
    const series = list[i];
    if (series) layers.set(layerKey(r.runId, r.field, r.layer), series);
  });
  return layers;
}

export function useCompareSeries(runIds: Readonly<Ref<readonly number[]>>, panels: Readonly<Ref<readonly Panel[]>>) {
  const tick = ref(0);
  // the loss series doubles as every run's timeline (epoch, samples, wall time by step)
  const stepRequest = computed(() => {
    const fields = new Set<StepField>(['loss']);
    for (const p of panels.value) if (p.metric.source === 'step') fields.add(p.metric.field);
    return { runIds: [...runIds.value], fields: [...fields].sort(), tick: tick.value };
  });
  const evalRequest = computed(() => ({ runIds: [...runIds.value], tick: tick.value }));
  const layerRequest = computed(() => {
    const requests: LayerRequest[] = [];
    const seen = new Set<string>();
    for (const p of panels.value) {
      if (p.metric.source !== 'layer') continue;
      for (const runId of runIds.value) {
        const key = layerKey(runId, p.metric.field, p.layer);
        if (!seen.has(key)) requests.push({ runId, field: p.metric.field, layer: p.layer });
        seen.add(key);
      }
    }
    return { requests, tick: tick.value };
  });

  const steps = useLatestTask(stepRequest, (r) => fetchSteps(r.runIds, r.fields), { debounceMs });
  const evals = useLatestTask(evalRequest, (r) => fetchEvals(r.runIds), { debounceMs });
  const layers = useLatestTask(layerRequest, (r) => fetchLayers(r.requests), { debounceMs });

  const data = computed<CompareData>(() => ({ step: steps.result.value ?? new Map(), eval: evals.result.value ?? new Map(), layer: layers.result.value ?? new Map() }));
  /** the kinds of series that have arrived at least once */
  const loaded = computed(() => {
    const kinds = new Set<SeriesSource>();
    if (steps.result.value) kinds.add('step');
    if (evals.result.value) kinds.add('eval');
    if (layers.result.value) kinds.add('layer');
    return kinds;
  });
  const pending = computed(() => steps.pending.value || evals.pending.value || layers.pending.value);

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

  return { data, loaded, pending };
}

export type CompareSeries = ReturnType<typeof useCompareSeries>;
