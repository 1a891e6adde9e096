/**
 * `node bin/run-ts.mjs bench/process-reuse.ts [--runs 8] [--steps 200] [--rounds 2] [--workload mnist|blobs]`:
 * a local sweep through the app's own runner (createApi, two runs at a time, one thread each),
 * with each slot's training process kept for its next run (the default) against a fresh
 * process per run (BATCHSCOPE_FRESH_PROCESSES=1). Wall time from the experiment's creation
 * to the last run's end; the two settings alternate, the one that goes first alternating too.
 * Needs two idle cores.
 */
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RunSpecInput } from '../common/spec';
import { createApi } from '../main/api/create-api';
import { mlpRunSpec } from './run-specs';
import { median } from './stats';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '8' }, steps: { type: 'string', default: '200' }, rounds: { type: 'string', default: '2' }, workload: { type: 'string', default: 'mnist' } } });
const runs = Number(values.runs);
const steps = Number(values.steps);

const base: RunSpecInput =
  values.workload === 'mnist'
    ? mlpRunSpec({ batchSize: 256, steps })
    : { dataset: { kind: 'blobs', samples: 4000, features: 32 }, model: { kind: 'mlp', hidden: [128, 128] }, batch: { size: 128 }, training: { steps, evalEverySteps: 50 }, diagnostics: { curvatureEvery: 0 } };

async function sweepSeconds(reuse: boolean): Promise<number> {
  if (reuse) delete process.env.BATCHSCOPE_FRESH_PROCESSES;
  else process.env.BATCHSCOPE_FRESH_PROCESSES = '1';
  const api = await createApi({ dbPath: join(mkdtempSync(join(tmpdir(), 'bench-reuse-')), 'runs.db'), concurrency: 2, cores: 2 });
  try {
    const startMs = performance.now();
    const { runs: created } = await api.createExperiment({ spec: { ...base, name: `reuse ${reuse}`, threads: 1, sweep: { seed: Array.from({ length: runs }, (_, i) => i + 1) } } });
    api.runner.wake();
    await api.drained();
    const seconds = (performance.now() - startMs) / 1000;
    const completed = created.filter((r) => api.store.runs.get(r.id)?.status === 'completed').length;
    if (completed !== created.length) throw new Error(`${completed} of ${created.length} runs completed`);
    return seconds;
  } finally {
    await api.close();
  }
}

process.stdout.write(`${runs} runs of ${values.workload} (${steps} steps), 2 at a time; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
const kept: number[] = [];
const fresh: number[] = [];
for (let round = 0; round < Number(values.rounds); round++) {
  for (const reuse of round % 2 === 0 ? [true, false] : [false, true]) {
    const seconds = await sweepSeconds(reuse);
    (reuse ? kept : fresh).push(seconds);
    process.stdout.write(`  round ${round + 1}: ${reuse ? 'processes kept' : 'fresh processes'} ${seconds.toFixed(1)} s\n`);
  }
}
process.stdout.write(`kept ${median(kept).toFixed(1)} s, fresh ${median(fresh).toFixed(1)} s (medians): ${(median(fresh) / median(kept)).toFixed(2)}× faster with processes kept\n`);
