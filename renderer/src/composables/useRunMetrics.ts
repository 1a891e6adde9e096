/**
 * One run's metrics for the Live view: step and evaluation curves and the
 * per-layer series, re-read (throttled) whenever the run reports new steps.
 */
import { onBeforeUnmount, onMounted, shallowRef, watch, type Ref } from 'vue';
import type { ApiEvent, EvalSeries, LayerField, LayerSeries, RunRecord, StepField, StepSeries } from '../../../common/api-contract';
import { api, subscribe } from '../api';
import { mergeRunUpdate } from '../runs/merge-run-update';
import { activeStatuses } from '../runs/run-progress';
import { notifyError } from './useNotices';
import { useThrottledRefresh } from './useThrottledRefresh';

export const liveStepFields = ['loss', 'accuracy', 'lr', 'batchSize', 'noiseScale', 'sharpness'] as const satisfies readonly StepField[];
export const liveLayerFields = [
  'gradNorm',
  'updateNorm',
  'effectiveLr',
  'curvature',
  'noiseScale',
  'sharpness',
  'distanceFromInit',
  'updateCosine',
] as const satisfies readonly LayerField[];
export type LiveStepField = (typeof liveStepFields)[number];
export type LiveLayerField = (typeof liveLayerFields)[number];
/** read with the charted fields but drawn on another's chart: κ_l's error estimate is its band */
const liveExtraLayerFields = ['curvatureError'] as const satisfies readonly LayerField[];
type LiveLayerSeries = Partial<Record<LiveLayerField | (typeof liveExtraLayerFields)[number], LayerSeries>>;

const stepPoints = 1500;
const layerPoints = 400;

export function useRunMetrics(runId: Readonly<Ref<number | null>>) {
  const run = shallowRef<RunRecord | null>(null);
  const missing = shallowRef(false);
  const steps = shallowRef<Partial<Record<LiveStepField, StepSeries>>>({});
  const evals = shallowRef<EvalSeries | null>(null);
  const layers = shallowRef<LiveLayerSeries>({});
  let failedOnce = false;
  let layersRequested = false;

  async function refresh(): Promise<void> {
    const id = runId.value;
    if (id === null) return;
    try {
      const [stepList, evalList, layerList] = await Promise.all([
        Promise.all(liveStepFields.map((field) => api.stepSeries({ runIds: [id], field, maxPoints: stepPoints }))),
        api.evalSeries({ runIds: [id] }),
        Promise.all([...liveLayerFields, ...liveExtraLayerFields].map((field) => api.layerSeries({ runId: id, field, maxPoints: layerPoints }))),
      ]);
      if (id !== runId.value) return;
      steps.value = Object.fromEntries(liveStepFields.map((field, i) => [field, stepList[i]?.[0]])) as Partial<Record<LiveStepField, StepSeries>>;
      evals.value = evalList[0] ?? null;
      layers.value = Object.fromEntries([...liveLayerFields, ...liveExtraLayerFields].map((field, i) => [field, layerList[i]])) as LiveLayerSeries;
      failedOnce = false;
    } catch (error) {
      // one message per outage, not one per event
      if (!failedOnce) notifyError(`Could not read the metrics of run #${id}`, error);
      failedOnce = true;
    }
  }

  const { request } = useThrottledRefresh(refresh, 1500);

  async function load(id: number | null): Promise<void> {
    run.value = null;
    layersRequested = false;
    missing.value = false;
    steps.value = {};
    evals.value = null;
    layers.value = {};
    if (id === null) return;
    try {
      run.value = await api.getRun({ id });
    } catch (error) {
      missing.value = true;
      notifyError(`Could not open run #${id}`, error);
      return;
    }
    await refresh();
  }

  function onEvent(event: ApiEvent): void {
    const id = runId.value;
    if (id === null) return;
    if (event.type === 'run-metrics' && event.runId === id) request();
    if (event.type === 'run-updated' && event.run.id === id && run.value) {
      const wasActive = activeStatuses.has(run.value.status);
      run.value = mergeRunUpdate(run.value, event.run);
      // the layer table arrives when the run starts, the last metrics when it ends
      const ended = wasActive && !activeStatuses.has(event.run.status);
      const needsLayers = event.run.status === 'running' && run.value.layers.length === 0 && !layersRequested;
      if (ended || needsLayers) {
        layersRequested = true;
        void api.getRun({ id }).then((r) => (run.value = r), () => undefined);
      }
      if (ended) request();
    }
  }

  let unsubscribe: (() => void) | null = null;
  onMounted(() => {
    unsubscribe = subscribe(onEvent);
  });
  onBeforeUnmount(() => unsubscribe?.());
  watch(runId, (id) => void load(id), { immediate: true });

  return { run, missing, steps, evals, layers, refresh: request };
}
