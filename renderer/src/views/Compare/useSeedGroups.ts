/**
 * Shown runs that differ only in seed, as groups: the charts draw a group as one mean
 * line with a band, the table under them gives its mean ± half-width.
 */
import { computed, type Ref } from 'vue';
import type { RunRecord } from '../../../../common/api-contract';
import { describeRun } from '../../compare/differing-fields';
import { seedGroups } from '../../compare/seed-groups';
import type { CompareSelection } from './useCompareSelection';

export function useSeedGroups(runs: Readonly<Ref<ReadonlyMap<number, RunRecord>>>, selection: Pick<CompareSelection, 'shownRuns' | 'fields'>) {
  const groups = computed(() => seedGroups(selection.shownRuns.value));
  const hasRepeats = computed(() => groups.value.some((g) => g.runIds.length > 1));
  const seedFields = computed(() => selection.fields.value.filter((f) => f !== 'training.seed'));
  function groupLabel(runIds: number[]): string {
    const first = runs.value.get(runIds[0]!);
    if (!first) return `#${runIds[0]}`;
    const label = seedFields.value.length ? describeRun(first.spec, seedFields.value) : first.label.replace(/ · seed=\d+/, '');
    return `${label || first.label} · ${runIds.length} seeds`;
  }
  return { groups, hasRepeats, groupLabel };
}

export type SeedGrouping = ReturnType<typeof useSeedGroups>;
