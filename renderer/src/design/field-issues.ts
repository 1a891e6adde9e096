/**
 * Spec issues grouped by the field they belong to. A sweep run's problem with
 * an optimizer hyperparameter comes back as `optimizer.x … (for
 * sweep.optimizer.2)`; it belongs to that optimizer's card, so it is filed
 * under `sweep.optimizer.2.x`.
 */
import type { SpecIssue } from '../../../common/spec';

export type IssuesByPath = ReadonlyMap<string, readonly SpecIssue[]>;

const sweptOptimizer = /\(for [^)]*\bsweep\.optimizer\.(\d+)\b[^)]*\)/;

export function fieldPath(issue: SpecIssue): string {
  const match = sweptOptimizer.exec(issue.message);
  if (match && issue.path.startsWith('optimizer.')) return `sweep.optimizer.${match[1]}.${issue.path.slice('optimizer.'.length)}`;
  return issue.path;
}

export function groupIssues(issues: readonly SpecIssue[]): IssuesByPath {
  const byPath = new Map<string, SpecIssue[]>();
  for (const issue of issues) {
    const path = fieldPath(issue);
    const list = byPath.get(path) ?? [];
    list.push({ path, message: issue.message });
    byPath.set(path, list);
  }
  return byPath;
}

/** Issues at any of `paths`, or (unless `exact`) below one of them: `sweep.lr` covers `sweep.lr.1`. */
export function issuesAt(byPath: IssuesByPath, paths: readonly string[], exact = false): SpecIssue[] {
  const found: SpecIssue[] = [];
  for (const [path, issues] of byPath) {
    if (paths.some((p) => path === p || (!exact && path.startsWith(`${p}.`)))) found.push(...issues);
  }
  return found;
}
