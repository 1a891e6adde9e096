/**
 * Which runs Compare shows: the selection lives in the route (`?runs=1,2,3`), so a
 * comparison can be linked and survives a reload; the legend hides runs from the charts
 * without unselecting them. Each run gets a colour by its place in the selection and a
 * label naming only the settings that differ between the selected runs.
 */
import { computed, ref, type Ref } from 'vue';
import type { RunRecord } from '../../../../common/api-contract';
import { seriesColor } from '../../charts/palette';
import { describeRun, differingFields } from '../../compare/differing-fields';
import { notify } from '../../composables/useNotices';
import { useRoute } from '../../navigation/route';

/** the API takes at most this many runs per series request */
export const maxRuns = 64;

export function useCompareSelection(runs: Readonly<Ref<ReadonlyMap<number, RunRecord>>>) {
  const { route, replaceQuery } = useRoute();

  const selectedIds = computed<number[]>(() =>
    (route.value.query.runs ?? '')
      .split(',')
      .map(Number)
      .filter((id) => Number.isInteger(id) && id > 0)
      .slice(0, maxRuns),
  );
  function setSelection(ids: number[]): void {
    const unique = [...new Set(ids)];
    if (unique.length > maxRuns) notify(`At most ${maxRuns} runs can be compared at once; the first ${maxRuns} are shown.`, 'error');
    replaceQuery(unique.length ? { runs: unique.slice(0, maxRuns).join(',') } : {});
  }
  function toggleRun(id: number): void {
    setSelection(selectedIds.value.includes(id) ? selectedIds.value.filter((x) => x !== id) : [...selectedIds.value, id]);
  }
  function setMany(ids: number[], on: boolean): void {
    setSelection(on ? [...selectedIds.value, ...ids] : selectedIds.value.filter((id) => !ids.includes(id)));
  }

  const selectedRuns = computed(() => selectedIds.value.map((id) => runs.value.get(id)).filter((r) => r !== undefined));
  const fields = computed(() => differingFields(selectedRuns.value.map((r) => r.spec)));
  const colorOf = computed(() => new Map(selectedIds.value.map((id, i) => [id, seriesColor(i)])));
  const labelOf = computed(() => new Map(selectedRuns.value.map((r) => [r.id, (fields.value.length ? describeRun(r.spec, fields.value) : '') || r.label])));
  const batchSizesDiffer = computed(() => new Set(selectedRuns.value.map((r) => r.spec.batch.size)).size > 1);

  const hidden = ref(new Set<number>());
  function toggleHidden(id: number): void {
    const next = new Set(hidden.value);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    hidden.value = next;
  }
  const legendEntries = computed(() =>
    selectedRuns.value.map((r) => ({ runId: r.id, label: labelOf.value.get(r.id) ?? r.label, color: colorOf.value.get(r.id) ?? seriesColor(0), hidden: hidden.value.has(r.id) })),
  );
  /** the selected runs the legend has not hidden: what the charts draw */
  const shownRuns = computed(() => selectedRuns.value.filter((r) => !hidden.value.has(r.id)));

  return { selectedIds, selectedRuns, toggleRun, setMany, fields, colorOf, labelOf, batchSizesDiffer, legendEntries, toggleHidden, shownRuns };
}

export type CompareSelection = ReturnType<typeof useCompareSelection>;
