/**
 * Child: one whole training run through `trainRun`, as the CLI and the worker run
 * it, reporting its wall time and this process's memory high-water mark
 * (VmHWM of /proc/<pid>/status, read just before exiting).
 *
 *   node bin/run-ts.mjs bench/train-child.ts '<spec json>'
 */
import { readFileSync } from 'node:fs';
import type { RunSummary } from '../common/metrics';
import type { RunSink } from '../main/engine/training/run-sink';
import { trainRun } from '../main/engine/training/train-run';
import { emitResult } from './child-process';
import { median } from './stats';

export interface TrainChildResult {
  summary: RunSummary;
  /** ms of the steps alone: the sum of the per-step times the loop reports */
  stepsMs: number;
  /** the median of those per-step times: a plain step's cost at this run's speed */
  medianStepMs: number;
  /** CPU ms of this process from the start of the loop (after the data is loaded) to the end of the run */
  loopCpuMs: number;
  /** peak resident set of this process, KiB */
  vmHwmKiB: number | null;
}

function statusField(name: string): number | null {
  try {
    const match = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

const specText = process.argv[2];
if (!specText) throw new Error('train-child: give the spec as a JSON argument');
let stepsMs = 0;
const stepTimes: number[] = [];
const cpuMsNow = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
let loopStartCpuMs = 0;
const sink: RunSink = {
  started: () => void (loopStartCpuMs = cpuMsNow()),
  step: (m) => {
    stepsMs += m.stepMs;
    stepTimes.push(m.stepMs);
  },
  layers: () => {},
  eval: () => {},
  event: () => {},
  progress: () => {},
};
const summary = await trainRun(JSON.parse(specText), sink);
const loopCpuMs = cpuMsNow() - loopStartCpuMs;
if (summary.status !== 'completed') throw new Error(`run ended ${summary.status}${summary.reason ? `: ${summary.reason}` : ''}`);
const result: TrainChildResult = { summary, stepsMs, medianStepMs: median(stepTimes), loopCpuMs, vmHwmKiB: statusField('VmHWM') };
emitResult(result);
