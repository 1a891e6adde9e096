/**
 * Spec issues grouped by the field they belong to. A sweep run's problem with
 * a swept value comes back at the run's path with the grid point named:
 * `optimizer.ratioMin … (for sweep.optimizer.2)`. It belongs to the form's
 * entry for that value, so it is filed under `sweep.optimizer.2.ratioMin`.
 */
import type { SpecIssue } from '../../../common/spec';

export type IssuesByPath = ReadonlyMap<string, readonly SpecIssue[]>;

/** sweep axis → where its value lands in a run spec */
const sweptPaths: Record<string, string> = {
  optimizer: 'optimizer',
  discard: 'discard',
  batchSchedule: 'batch.schedule',
};

export function fieldPath(issue: SpecIssue): string {
  const where = /\(for ([^)]*)\)\s*$/.exec(issue.message)?.[1];
  if (!where) return issue.path;
  for (const point of where.split(', ')) {
    const match = /^sweep\.(\w+)\.(\d+)$/.exec(point);
    const runPath = match ? sweptPaths[match[1]!] : undefined;
    if (!match || !runPath) continue;
    if (issue.path === runPath) return `sweep.${match[1]}.${match[2]}`;
    if (issue.path.startsWith(`${runPath}.`)) return `sweep.${match[1]}.${match[2]}.${issue.path.slice(runPath.length + 1)}`;
  }
  return issue.path;
}

const bounds: Record<string, string> = { '>': '>', '>=': '≥', '<': '<', '<=': '≤' };

/**
 * The message as it reads next to its field: the grid point is dropped when the
 * field already is that point's entry, a missing value reads "required", and a
 * number out of range says its bound ("must be > 0" for zod's "Too small:
 * expected number to be >0").
 */
export function fieldMessage(issue: SpecIssue, path: string): string {
  let message = issue.message;
  if (path !== issue.path) message = message.replace(/\s*\(for [^)]*\)\s*$/, '');
  return message
    .replace(/^Invalid input: expected \w+, received undefined\b/, 'required')
    .replace(/^Too (?:small|big): expected number to be (>=|<=|>|<)(\S+)/, (_, bound: string, limit: string) => `must be ${bounds[bound]} ${limit}`);
}

export function groupIssues(issues: readonly SpecIssue[]): IssuesByPath {
  const byPath = new Map<string, SpecIssue[]>();
  for (const issue of issues) {
    const path = fieldPath(issue);
    const list = byPath.get(path) ?? [];
    list.push({ path, message: fieldMessage(issue, path) });
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
