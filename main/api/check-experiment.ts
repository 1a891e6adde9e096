/**
 * Everything that can be known about an experiment before anything is stored: the spec
 * schema and sweep (common/sweep), the data files (pre-flight, main/engine/data/preflight)
 * and the resource budget (common/resource-budget). planExperiment shows the result in the
 * designer; createExperiment refuses with a SpecError naming the fields.
 */
import { checkRunBudget, type DatasetShape, type ResourceBudget } from '../../common/resource-budget';
import type { SpecIssue } from '../../common/spec';
import { planExperiment, type ExperimentPlan } from '../../common/sweep';
import { DatasetError } from '../engine/data/dataset';
import { datasetFieldOf, preflightDataset } from '../engine/data/preflight';
import { cifar10DirIn } from '../download/cifar10-download';

export type ExperimentCheck =
  | { ok: true; plan: ExperimentPlan; shape: DatasetShape; warnings: string[] }
  | { ok: false; issues: SpecIssue[] };

/** A CIFAR-10 run without `dir` uses the downloaded copy in `datasetsDir` (its path is stored with the run). */
function withDownloadedData(plan: ExperimentPlan, datasetsDir: string): ExperimentPlan {
  for (const run of plan.runs) {
    if (run.spec.dataset.kind === 'cifar10' && run.spec.dataset.dir === undefined) run.spec.dataset = { ...run.spec.dataset, dir: cifar10DirIn(datasetsDir) };
  }
  return plan;
}

export async function checkExperiment(spec: unknown, budget: ResourceBudget, options: { datasetsDir?: string } = {}): Promise<ExperimentCheck> {
  const planned = planExperiment(spec);
  if (!planned.ok) return planned;
  const plan = options.datasetsDir === undefined ? planned.plan : withDownloadedData(planned.plan, options.datasetsDir);
  // a sweep never changes the dataset: one check covers every run
  const dataset = plan.runs[0]!.spec.dataset;
  let check;
  try {
    check = await preflightDataset(dataset);
  } catch (error) {
    if (!(error instanceof DatasetError)) throw error;
    return { ok: false, issues: [{ path: datasetFieldOf(dataset, error.file), message: error.message }] };
  }
  const issues: SpecIssue[] = [];
  for (const run of plan.runs) {
    const where = Object.keys(run.point).length ? ` (for ${Object.entries(run.point).map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
    for (const issue of checkRunBudget(run.spec, check.shape, budget)) {
      if (!issues.some((i) => i.path === issue.path)) issues.push({ path: issue.path, message: `${issue.message}${where}` });
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, plan, shape: check.shape, warnings: check.warnings };
}
