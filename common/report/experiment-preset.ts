/**
 * The preset an experiment was launched from, found by name: a preset's spec
 * name becomes the experiment's name, and a report quotes that preset's claim.
 */
import type { Preset } from '../api-contract';

export function experimentPreset(experimentName: string, presets: readonly Preset[]): Preset | undefined {
  return presets.find((p) => (p.spec as { name?: unknown }).name === experimentName);
}
