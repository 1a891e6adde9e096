/**
 * .github/workflows/release.yml cannot run here; it must at least parse, run on
 * Linux, macOS and Windows, and call only scripts the project has.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { expect, it } from 'vitest';
import { repoRoot } from '../e2e/ensure-built';

interface Step {
  run?: string;
  uses?: string;
}
interface Job {
  'runs-on': string;
  steps: Step[];
  strategy?: { matrix: { include: { os: string }[] } };
}

it('is valid YAML that tests, then packages on all three platforms with the project’s own scripts', () => {
  const workflow = yaml.load(readFileSync(join(repoRoot, '.github', 'workflows', 'release.yml'), 'utf8')) as { on: { push: { tags: string[] } }; jobs: Record<string, Job> };
  const scripts = Object.keys((JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
  expect(workflow.on.push.tags).toEqual(['v*']);
  const { test, dist } = workflow.jobs;
  expect(test!.steps.map((step) => step.run).filter(Boolean)).toEqual(['.ci/run']);
  expect(dist!.strategy!.matrix.include.map((entry) => entry.os.split('-')[0]).sort()).toEqual(['macos', 'ubuntu', 'windows']);
  const commands = Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.run).filter((run): run is string => Boolean(run)));
  expect(commands).toContain('npm run dist -- --publish never');
  for (const command of commands) {
    for (const [, script] of command.matchAll(/npm run (\S+)/g)) expect(scripts, command).toContain(script);
    // no ad-hoc packaging: npm ci / npm run <script>, the CI entry point, or gh for the release
    expect(command, command).toMatch(/^(npm ci|npm run \S+|\.ci\/run|gh release )/);
  }
  // actions only from GitHub's own organisation
  for (const job of Object.values(workflow.jobs)) for (const step of job.steps) if (step.uses) expect(step.uses).toMatch(/^actions\//);
});
