/**
 * What the Report view shows for one experiment: its runs, the evaluations of
 * the finished ones, their per-layer curvature, and the preset it came from.
 * Read again (throttled) when one of its runs changes status.
 */
import { onBeforeUnmount, onMounted, shallowRef, watch, type Ref } from 'vue';
import type { ApiEvent, EvalSeries, ExperimentRecord, LayerSeries, Preset, RunRecord } from '../../../common/api-contract';
import { experimentPreset } from '../../../common/report/experiment-preset';
import { api, subscribe } from '../api';
import { notifyError } from './useNotices';
import { useThrottledRefresh } from './useThrottledRefresh';

export interface ExperimentReportData {
  experiment: ExperimentRecord;
  runs: RunRecord[];
  /** runs with a summary: the ones the report's charts and table cover */
  finished: RunRecord[];
  evals: EvalSeries[];
  /** per finished run (at most `heatmapRuns`), only those that recorded curvature */
  curvature: { run: RunRecord; series: LayerSeries }[];
  preset: Preset | undefined;
}

/** as in the HTML report: beyond a dozen heatmaps a page stops being readable */
export const heatmapRuns = 12;
const heatmapPoints = 120;

let presets: Promise<Preset[]> | null = null;
const presetsOnce = (): Promise<Preset[]> => (presets ??= api.listPresets({}).catch(() => ((presets = null), [])));

async function readReport(id: number): Promise<ExperimentReportData> {
  const [{ experiment, runs }, knownPresets] = await Promise.all([api.getExperiment({ id }), presetsOnce()]);
  const finished = runs.filter((r) => r.summary !== null);
  const ids = finished.map((r) => r.id);
  const [evals, curvatures] = await Promise.all([
    ids.length ? api.evalSeries({ runIds: ids }) : Promise.resolve([]),
    Promise.all(finished.slice(0, heatmapRuns).map((run) => api.layerSeries({ runId: run.id, field: 'curvature', maxPoints: heatmapPoints }).catch(() => null))),
  ]);
  const curvature = finished
    .slice(0, heatmapRuns)
    .map((run, i) => ({ run, series: curvatures[i] }))
    .filter((c): c is { run: RunRecord; series: LayerSeries } => !!c.series && c.series.layers.some((l) => l.value.some((v) => v !== null)));
  return { experiment, runs, finished, evals, curvature, preset: experimentPreset(experiment.name, knownPresets) };
}

export function useExperimentReport(experimentId: Readonly<Ref<number | null>>) {
  const report = shallowRef<ExperimentReportData | null>(null);
  const missing = shallowRef(false);
  let failedOnce = false;

  async function refresh(): Promise<void> {
    const id = experimentId.value;
    if (id === null) return;
    try {
      const data = await readReport(id);
      if (id !== experimentId.value) return;
      report.value = data;
      missing.value = false;
      failedOnce = false;
    } catch (error) {
      if (id !== experimentId.value) return;
      if (!report.value) missing.value = true;
      // one message per outage, not one per event
      if (!failedOnce) notifyError(`Could not read experiment #${id}`, error);
      failedOnce = true;
    }
  }

  const { request } = useThrottledRefresh(refresh, 2000);

  function onEvent(event: ApiEvent): void {
    // the report covers finished runs: what matters is a run starting, ending or failing, not each step
    if (event.type === 'run-updated' && event.run.experimentId === experimentId.value && event.run.status !== 'running') request();
  }

  let unsubscribe: (() => void) | null = null;
  onMounted(() => {
    unsubscribe = subscribe(onEvent);
  });
  onBeforeUnmount(() => unsubscribe?.());
  watch(
    experimentId,
    () => {
      report.value = null;
      missing.value = false;
      void refresh();
    },
    { immediate: true },
  );

  return { report, missing };
}
