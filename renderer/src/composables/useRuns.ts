/**
 * Experiments and their runs, kept current by live events: a run-updated event
 * patches that one run, a new experiment is fetched on its own; nothing is
 * refetched wholesale after the first load.
 */
import { computed, onBeforeUnmount, onMounted, ref, shallowRef, triggerRef } from 'vue';
import type { ApiEvent, ExperimentRecord, RunRecord } from '../../../common/api-contract';
import { api, subscribe } from '../api';
import { mergeRunUpdate } from '../runs/merge-run-update';
import { notifyError } from './useNotices';

export function useRuns() {
  const experiments = shallowRef(new Map<number, ExperimentRecord>());
  const runs = shallowRef(new Map<number, RunRecord>());
  const loaded = ref(false);
  const loadError = ref<unknown>(null);

  function putRuns(records: readonly RunRecord[]): void {
    for (const run of records) runs.value.set(run.id, run);
    triggerRef(runs);
  }

  function putExperiment(record: ExperimentRecord): void {
    experiments.value.set(record.id, record);
    triggerRef(experiments);
  }

  /** events that arrive while the first lists are loading wait for them */
  let buffered: ApiEvent[] | null = [];

  async function load(): Promise<void> {
    try {
      const [experimentList, runList] = await Promise.all([api.listExperiments({}), api.listRuns({})]);
      experiments.value = new Map(experimentList.map((e) => [e.id, e]));
      runs.value = new Map(runList.map((r) => [r.id, r]));
      loadError.value = null;
    } catch (error) {
      loadError.value = error;
      notifyError('Could not load runs', error);
    } finally {
      loaded.value = true;
      const waiting = buffered ?? [];
      buffered = null;
      waiting.forEach(onEvent);
    }
  }

  async function fetchExperiment(id: number): Promise<void> {
    try {
      const { experiment, runs: records } = await api.getExperiment({ id });
      putExperiment(experiment);
      putRuns(records);
    } catch {
      // it may have been deleted in the meantime; the next event will tell
    }
  }

  function onEvent(event: ApiEvent): void {
    if (buffered) {
      buffered.push(event);
      return;
    }
    if (event.type === 'experiment-created') {
      if (!experiments.value.has(event.experimentId)) void fetchExperiment(event.experimentId);
      return;
    }
    if (event.type !== 'run-updated') return;
    const known = runs.value.get(event.run.id);
    if (known) {
      const merged = mergeRunUpdate(known, event.run);
      if (merged === known) return;
      runs.value.set(known.id, merged);
      triggerRef(runs);
    } else if (!experiments.value.has(event.run.experimentId)) {
      void fetchExperiment(event.run.experimentId);
    } else {
      void api.getRun({ id: event.run.id }).then((r) => putRuns([r]), () => undefined);
    }
  }

  let unsubscribe: (() => void) | null = null;
  onMounted(() => {
    unsubscribe = subscribe(onEvent);
    void load();
  });
  onBeforeUnmount(() => unsubscribe?.());

  function forgetRun(id: number): void {
    runs.value.delete(id);
    triggerRef(runs);
  }

  function forgetExperiment(id: number): void {
    experiments.value.delete(id);
    for (const run of [...runs.value.values()]) if (run.experimentId === id) runs.value.delete(run.id);
    triggerRef(experiments);
    triggerRef(runs);
  }

  /** experiments newest first, each with its runs in grid order */
  const grouped = computed(() => {
    const byExperiment = new Map<number, RunRecord[]>();
    for (const run of runs.value.values()) {
      const list = byExperiment.get(run.experimentId) ?? [];
      list.push(run);
      byExperiment.set(run.experimentId, list);
    }
    return [...experiments.value.values()]
      .sort((a, b) => b.id - a.id)
      .map((experiment) => ({ experiment, runs: (byExperiment.get(experiment.id) ?? []).sort((a, b) => a.index - b.index) }));
  });

  return { experiments, runs, grouped, loaded, loadError, load, putRuns, forgetRun, forgetExperiment };
}
