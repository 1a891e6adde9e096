/**
 * Runs that differ only in their seed are repeats of one configuration: Compare
 * draws them as their mean with a band (95 % t-interval from three seeds,
 * min–max from two) instead of as separate lines (common/stats/band.ts).
 */

export interface SeedGroup {
  /** the spec without its seed and name, as JSON */
  key: string;
  runIds: number[];
}

function withoutSeed(spec: unknown): unknown {
  if (typeof spec !== 'object' || spec === null) return spec;
  const { name: _name, ...rest } = spec as Record<string, unknown>;
  const training = rest.training;
  if (typeof training === 'object' && training !== null) {
    const { seed: _seed, ...trainingRest } = training as Record<string, unknown>;
    rest.training = trainingRest;
  }
  return rest;
}

/** JSON with keys sorted at every level, so equal specs give equal keys. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Groups in the order of their first run; a run alone is a group of one. */
export function seedGroups(runs: readonly { id: number; spec: unknown }[]): SeedGroup[] {
  const groups = new Map<string, number[]>();
  for (const run of runs) {
    const key = canonical(withoutSeed(run.spec));
    groups.set(key, [...(groups.get(key) ?? []), run.id]);
  }
  return [...groups.entries()].map(([key, runIds]) => ({ key, runIds }));
}
