/**
 * The per-step rows, one thread each: Batchscope vs stock tfjs and vs PyTorch,
 * step/forward ratio, for the MLP and the CNN. Each implementation runs in its own
 * process; the processes take turns, round after round, so a change in machine
 * load hits all of them alike. A side's figure is the median over rounds of each
 * child's median. PyTorch runs with every thread pool pinned to the same count
 * (torch-python.ts) and only on an optimized BLAS; otherwise its rows say why not.
 */
import { join } from 'node:path';
import { repoRoot, runChild, runTsChild } from './child-process';
import { formatNumber, unmeasuredRow, type Row, type Target } from './report';
import { median } from './stats';
import { stepArgList, type StepArgs, type StepResult } from './step-result';
import { pinnedThreadEnv, type TorchPython } from './torch-python';
import { workloads, type WorkloadName } from './workloads';

export const STEP_ROW_IDS = ['mlp-vs-tfjs', 'mlp-vs-torch', 'mlp-step-forward', 'cnn-vs-torch'] as const;
export type StepRowId = (typeof STEP_ROW_IDS)[number];

type Implementation = StepResult['implementation'];

export interface StepRunOptions {
  rounds: number;
  child: Omit<StepArgs, 'workload' | 'profile' | 'batchSize' | 'threads'>;
  torch: TorchPython;
  log: (line: string) => void;
}

export interface StepMeasurements {
  /** every child's result, per workload and implementation */
  results: Record<string, StepResult[]>;
  failures: Record<string, string>;
}

const key = (w: WorkloadName, impl: Implementation): string => `${w}/${impl}`;

function runImplementation(impl: Implementation, args: StepArgs, torch: TorchPython): Promise<StepResult> {
  const timeoutMs = 15 * 60_000;
  if (impl === 'batchscope') return runTsChild<StepResult>('engine-step.ts', stepArgList(args), { timeoutMs });
  if (impl === 'stock-tfjs') return runTsChild<StepResult>('stock-tfjs-step.ts', stepArgList(args), { timeoutMs });
  if (!torch.ok) throw new Error(torch.why);
  const { profile: _profile, ...rest } = args;
  return runChild<StepResult>(torch.python, [join(repoRoot, 'bench/torch_reference.py'), ...stepArgList({ ...rest, profile: false })], {
    timeoutMs,
    env: pinnedThreadEnv(args.threads),
  });
}

/** Which implementations each workload needs for the requested rows. */
function plan(rows: readonly StepRowId[]): Map<WorkloadName, Set<Implementation>> {
  const needs = new Map<WorkloadName, Set<Implementation>>();
  const need = (w: WorkloadName, ...impls: Implementation[]): void => {
    const set = needs.get(w) ?? new Set<Implementation>();
    impls.forEach((i) => set.add(i));
    needs.set(w, set);
  };
  if (rows.includes('mlp-vs-tfjs')) need('mlp', 'batchscope', 'stock-tfjs');
  if (rows.includes('mlp-vs-torch')) need('mlp', 'batchscope', 'pytorch');
  if (rows.includes('mlp-step-forward')) need('mlp', 'batchscope');
  if (rows.includes('cnn-vs-torch')) need('cnn', 'batchscope', 'pytorch');
  return needs;
}

export async function measureSteps(rows: readonly StepRowId[], o: StepRunOptions): Promise<StepMeasurements> {
  const results: Record<string, StepResult[]> = {};
  const failures: Record<string, string> = {};
  for (const [workload, impls] of plan(rows)) {
    for (let round = 0; round < o.rounds; round++) {
      for (const impl of impls) {
        const k = key(workload, impl);
        if (failures[k]) continue;
        if (impl === 'pytorch' && !o.torch.ok) {
          failures[k] = o.torch.why;
          continue;
        }
        // the last round also profiles the tfjs sides (after the timing, in the same process)
        const profile = round === o.rounds - 1 && impl !== 'pytorch';
        o.log(`  ${workload} · ${impl} · round ${round + 1}/${o.rounds}${profile ? ' (+ kernel profile)' : ''}`);
        try {
          const r = await runImplementation(impl, { workload, profile, batchSize: 0, threads: 1, ...o.child }, o.torch);
          (results[k] ??= []).push(r);
          o.log(`    step ${r.stepMs.median.toFixed(1)} ms (spread ${(r.stepMs.relativeSpread * 100).toFixed(0)} %), forward ${r.forwardMs.median.toFixed(1)} ms`);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failures[k] = conciseFailure(message);
          o.log(`    failed: ${failures[k]}`);
        }
      }
    }
  }
  return { results, failures };
}

/** The first error line of a child's stderr (a wasm stack trace is long and says little). */
function conciseFailure(message: string): string {
  const errorLine = message.split('\n').find((l) => /^\w*Error\b/.test(l));
  return errorLine ?? message.split('\n')[0]!.slice(0, 300);
}

interface Side {
  stepMs: number;
  /** median CPU ms per step: what the step costs when it has a core to itself */
  stepCpuMs: number;
  forwardMs: number;
  samplesPerSec: number;
  batchSize: number;
  runtime: string;
  /** the largest relative spread of the rounds' medians and of any child's reps */
  spread: number;
}

function side(m: StepMeasurements, w: WorkloadName, impl: Implementation): Side | string {
  const rs = m.results[key(w, impl)];
  if (!rs?.length) return m.failures[key(w, impl)] ?? 'not run';
  const steps = rs.map((r) => r.stepMs.median);
  const stepMs = median(steps);
  const roundSpread = (Math.max(...steps) - Math.min(...steps)) / stepMs;
  return {
    stepMs,
    stepCpuMs: median(rs.map((r) => r.stepCpuMs.median)),
    forwardMs: median(rs.map((r) => r.forwardMs.median)),
    samplesPerSec: rs[0]!.batchSize / (stepMs / 1000),
    batchSize: rs[0]!.batchSize,
    runtime: rs[0]!.replacedKernels ? `${rs[0]!.runtime}, fast kernels: ${rs[0]!.replacedKernels.join(', ') || 'none'}` : rs[0]!.runtime,
    spread: Math.max(roundSpread, ...rs.map((r) => r.stepMs.relativeSpread)),
  };
}

const sps = (s: Side): string => `${formatNumber(s.samplesPerSec)} samples/s (${s.stepMs.toFixed(1)} ms/step)`;
const spreadNote = (name: string, s: Side): string => `${name}: ${s.runtime}; step-time spread ${(s.spread * 100).toFixed(0)} % of the median`;

function throughputRow(id: StepRowId, label: string, target: Target, m: StepMeasurements, w: WorkloadName, reference: Implementation, referenceName: string): Row {
  const ours = side(m, w, 'batchscope');
  const theirs = side(m, w, reference);
  if (typeof ours === 'string') return unmeasuredRow(id, label, target, `Batchscope side failed: ${ours}`);
  if (typeof theirs === 'string') {
    const row = unmeasuredRow(id, label, target, `${referenceName} side not measured: ${theirs}`);
    return { ...row, batchscope: sps(ours) };
  }
  return {
    id,
    label,
    batchscope: sps(ours),
    reference: `${sps(theirs)} (${referenceName})`,
    measured: ours.samplesPerSec / theirs.samplesPerSec,
    target,
    notes: [
      spreadNote('Batchscope', ours),
      spreadNote(referenceName, theirs),
      `in CPU time per step: ${ours.stepCpuMs.toFixed(1)} vs ${theirs.stepCpuMs.toFixed(1)} ms, ratio ${(theirs.stepCpuMs / ours.stepCpuMs).toFixed(2)}×`,
    ],
  };
}

export function stepRows(rows: readonly StepRowId[], m: StepMeasurements, torch: TorchPython): Row[] {
  const torchName = `PyTorch + ${torch.ok ? torch.blas.kind : 'its BLAS'}`;
  const mlp = workloads.mlp;
  const cnn = workloads.cnn;
  const out: Row[] = [];
  for (const id of rows) {
    if (id === 'mlp-vs-tfjs') {
      out.push(throughputRow(id, `${mlp.label}, B=${mlp.batchSize}: vs stock tfjs minimize (wasm)`, { op: '>=', value: 4, unit: '×' }, m, 'mlp', 'stock-tfjs', 'stock tfjs'));
    } else if (id === 'mlp-vs-torch') {
      // wasm SIMD is 128 bits wide without FMA, against AVX2 FMA for OpenBLAS: about half the arithmetic rate
      out.push(throughputRow(id, `${mlp.label}, B=${mlp.batchSize}: vs ${torchName}, 1 thread each`, { op: '>=', value: 0.5, unit: '×' }, m, 'mlp', 'pytorch', torchName));
    } else if (id === 'cnn-vs-torch') {
      out.push(throughputRow(id, `${cnn.label}, B=${cnn.batchSize}: vs ${torchName}, 1 thread each`, { op: '>=', value: 1, unit: '×' }, m, 'cnn', 'pytorch', torchName));
    } else {
      const target: Target = { op: '<=', value: 3.5, unit: '×' };
      const label = `${mlp.label}, B=${mlp.batchSize}: step time / forward time`;
      const ours = side(m, 'mlp', 'batchscope');
      if (typeof ours === 'string') out.push(unmeasuredRow(id, label, target, `Batchscope side failed: ${ours}`));
      else {
        out.push({
          id,
          label,
          batchscope: `${ours.stepMs.toFixed(1)} ms step`,
          reference: `${ours.forwardMs.toFixed(1)} ms forward`,
          measured: ours.stepMs / ours.forwardMs,
          target,
          notes: [spreadNote('Batchscope', ours)],
        });
      }
    }
  }
  return out;
}
