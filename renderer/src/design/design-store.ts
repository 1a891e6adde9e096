/**
 * The experiment being designed. It lives outside the view so it survives
 * switching views, and so "duplicate" in Runs can fill it before showing Design.
 */
import { ref } from 'vue';
import { api } from '../api';
import { defaultDesignForm, formFromJson, type DesignForm } from './design-form';

const form = ref<DesignForm>(defaultDesignForm());
/** the preset or experiment the form was last filled from, for the header */
const origin = ref<string | null>(null);

/** Fills the form from a spec; returns the problems when the spec does not validate. */
export function loadSpec(json: unknown, from: string): string[] {
  const result = formFromJson(json);
  if (!result.ok) return result.problems;
  form.value = result.form;
  origin.value = from;
  return [];
}

export function resetForm(): void {
  form.value = defaultDesignForm();
  origin.value = null;
}

/** Loads a past experiment's designed spec (sweep lists included) into the form. */
export async function duplicateExperiment(experimentId: number): Promise<string[]> {
  const { experiment } = await api.getExperiment({ id: experimentId });
  const spec = { ...(experiment.spec as Record<string, unknown>), name: `${experiment.name} (copy)` };
  return loadSpec(spec, `copy of experiment #${experiment.id} “${experiment.name}”`);
}

export function useDesignStore() {
  return { form, origin, loadSpec, resetForm, duplicateExperiment };
}
