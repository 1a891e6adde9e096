/**
 * Experiments and sweeps: an experiment is a run spec plus optional lists for
 * batch size, optimizer, learning rate, scaling rule and seed; it expands into
 * one run per point of the grid.
 */
import { z } from 'zod';
import { batchSpecSchema, discardSpecSchema, optimizerSpecSchema, runSpecSchema, runSpecShape, toSpecIssues, SpecError, type RunSpec, type SpecIssue } from './spec';

/** Grids beyond this are rejected: nobody means to queue thousands of runs from a form. */
export const maxSweepRuns = 512;

export const sweepSchema = z
  .strictObject({
    batchSize: z.array(z.number().int().positive().max(1 << 20)).min(1).max(64).optional(),
    optimizer: z.array(optimizerSpecSchema).min(1).max(16).optional(),
    lr: z.array(z.number().positive()).min(1).max(32).optional(),
    scaling: z.array(z.enum(['none', 'linear', 'sqrt'])).min(1).max(3).optional(),
    seed: z.array(z.number().int().nonnegative()).min(1).max(64).optional(),
    /** small-loss discarding on/off: null means no discarding */
    discard: z.array(discardSpecSchema.nullable()).min(1).max(8).optional(),
    /** batch-size schedules to compare; [] means a fixed batch size */
    batchSchedule: z.array(batchSpecSchema.unwrap().shape.schedule.unwrap()).min(1).max(8).optional(),
  })
  .default({});

export const experimentSpecSchema = z.strictObject({
  ...runSpecShape,
  notes: z.string().max(20_000).default(''),
  tags: z.array(z.string().min(1).max(64)).max(32).default([]),
  sweep: sweepSchema,
});

export type ExperimentSpec = z.infer<typeof experimentSpecSchema>;
export type ExperimentSpecInput = z.input<typeof experimentSpecSchema>;
export type Sweep = z.infer<typeof sweepSchema>;

export interface PlannedRun {
  /** position in the grid, 0-based */
  index: number;
  /** the swept values of this run, e.g. { batchSize: 4096, optimizer: 'lars' } */
  point: Record<string, string | number>;
  spec: RunSpec;
}

export interface ExperimentPlan {
  experiment: ExperimentSpec;
  runs: PlannedRun[];
}

export function sweepSize(sweep: Sweep): number {
  return sweepAxes.reduce((n, key) => n * (sweep[key]?.length ?? 1), 1);
}

export const sweepAxes = ['batchSize', 'optimizer', 'lr', 'scaling', 'discard', 'batchSchedule', 'seed'] as const;

type Axis = { key: keyof Sweep; values: unknown[] };

function cartesian(axes: Axis[]): { key: keyof Sweep; value: unknown; at: number }[][] {
  let points: { key: keyof Sweep; value: unknown; at: number }[][] = [[]];
  for (const axis of axes) {
    points = points.flatMap((p) => axis.values.map((value, at) => [...p, { key: axis.key, value, at }]));
  }
  return points;
}

/** Validates an experiment and expands its sweep; every problem is reported with its field path. */
export function planExperiment(input: unknown): { ok: true; plan: ExperimentPlan } | { ok: false; issues: SpecIssue[] } {
  const parsed = experimentSpecSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: toSpecIssues(parsed.error) };
  const experiment = parsed.data;
  const count = sweepSize(experiment.sweep);
  if (count > maxSweepRuns) {
    return { ok: false, issues: [{ path: 'sweep', message: `the sweep expands to ${count} runs; at most ${maxSweepRuns} are allowed — shorten a list` }] };
  }
  const axes: Axis[] = sweepAxes
    .filter((key) => experiment.sweep[key] !== undefined)
    .map((key) => ({ key, values: experiment.sweep[key]! }));
  const { notes: _notes, tags: _tags, sweep: _sweep, ...base } = experiment;
  const runs: PlannedRun[] = [];
  const issues: SpecIssue[] = [];
  cartesian(axes).forEach((coords, index) => {
    const run = structuredClone(base) as Record<string, any>;
    const point: Record<string, string | number> = {};
    for (const { key, value } of coords) {
      if (key === 'batchSize') run.batch = { ...run.batch, size: value };
      if (key === 'optimizer') run.optimizer = value;
      if (key === 'lr') run.lr = { ...run.lr, base: value };
      if (key === 'scaling') run.lr = { ...run.lr, scaling: value };
      if (key === 'seed') run.training = { ...run.training, seed: value };
      if (key === 'discard') {
        if (value === null) delete run.discard;
        else run.discard = value;
      }
      if (key === 'batchSchedule') run.batch = { ...run.batch, schedule: value };
      point[key] = pointValue(key, value);
    }
    const checked = runSpecSchema.safeParse(run);
    if (!checked.success) {
      const where = coords.map((c) => `sweep.${c.key}.${c.at}`).join(', ');
      for (const issue of toSpecIssues(checked.error)) {
        issues.push({ path: issue.path, message: `${issue.message}${where ? ` (for ${where})` : ''}` });
      }
      return;
    }
    runs.push({ index, point, spec: checked.data });
  });
  if (issues.length > 0) return { ok: false, issues: dedupe(issues) };
  return { ok: true, plan: { experiment, runs } };
}

/** The value a run spec holds for a sweep axis (what the grid set it to). */
export function axisValueOf(key: keyof Sweep, spec: RunSpec): unknown {
  switch (key) {
    case 'batchSize':
      return spec.batch.size;
    case 'optimizer':
      return spec.optimizer;
    case 'lr':
      return spec.lr.base;
    case 'scaling':
      return spec.lr.scaling;
    case 'discard':
      return spec.discard ?? null;
    case 'batchSchedule':
      return spec.batch.schedule;
    case 'seed':
      return spec.training.seed;
  }
}

/** How a swept value is shown in labels and legends. */
export function pointValue(key: keyof Sweep, value: unknown): string | number {
  if (key === 'optimizer') return (value as { name: string }).name;
  if (key === 'discard') {
    const d = value as { fraction?: number; threshold?: number } | null;
    return d === null ? 'none' : d.fraction !== undefined ? `${d.fraction * 100}%` : `<${d.threshold}`;
  }
  if (key === 'batchSchedule') {
    const steps = value as { epoch: number; size: number }[];
    return steps.length === 0 ? 'fixed' : steps.map((s) => `${s.size}@${s.epoch}`).join('→');
  }
  return value as string | number;
}

function dedupe(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function parseExperiment(input: unknown): ExperimentPlan {
  const result = planExperiment(input);
  if (!result.ok) throw new SpecError(result.issues);
  return result.plan;
}

/** A short human label for a run from its swept values, e.g. "lars · B=4096". */
export function runLabel(point: Record<string, string | number>, fallback: string): string {
  const parts = Object.entries(point).map(([k, v]) =>
    k === 'batchSize' ? `B=${v}` : k === 'optimizer' ? String(v) : k === 'discard' ? `discard ${v}` : k === 'batchSchedule' ? `schedule ${v}` : `${k}=${v}`,
  );
  return parts.length ? parts.join(' · ') : fallback;
}

