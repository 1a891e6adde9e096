/** What a step-benchmark child (Batchscope, stock tfjs or PyTorch) reports. */
import type { KernelProfile } from './kernel-profile';
import type { Summary } from './stats';

export interface StepResult {
  implementation: 'batchscope' | 'stock-tfjs' | 'pytorch';
  workload: string;
  batchSize: number;
  /** threads the implementation was allowed (PyTorch: torch, OpenMP and BLAS pools alike) */
  threads?: number;
  /** one optimizer step on one batch: forward, backward, update, loss read back */
  stepMs: Summary;
  /** forward pass and mean loss read back, no tape */
  forwardMs: Summary;
  /** the same step in CPU time of the process (see CallTimes in stats.ts) */
  stepCpuMs: Summary;
  samplesPerSec: number;
  /** backend and versions, free text */
  runtime: string;
  /** kernels Batchscope registered over the stock wasm ones (engine side only) */
  replacedKernels?: string[];
  profile?: KernelProfile;
}

export interface StepArgs {
  workload: string;
  /** 0 keeps the workload's own batch size */
  batchSize: number;
  threads: number;
  reps: number;
  warmup: number;
  /** untimed calls continue until this many ms have passed (RepeatOptions.warmupMs) */
  warmupMs: number;
  callsPerRep: number;
  profile: boolean;
}

/** The argument list every step child understands. */
export function stepArgList(a: StepArgs): string[] {
  return ['--workload', a.workload, '--batch', String(a.batchSize), '--threads', String(a.threads), '--reps', String(a.reps), '--warmup', String(a.warmup), '--warmup-ms', String(a.warmupMs), '--calls', String(a.callsPerRep), ...(a.profile ? ['--profile'] : [])];
}

export function parseStepArgs(argv: string[]): StepArgs {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (flag: string, fallback: number): number => {
    const v = get(flag);
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: expected a non-negative integer, got '${v}'`);
    return n;
  };
  const threads = int('--threads', 1);
  if (threads < 1) throw new Error(`--threads: expected at least 1, got ${threads}`);
  return { workload: get('--workload') ?? 'mlp', batchSize: int('--batch', 0), threads, reps: int('--reps', 7), warmup: int('--warmup', 5), warmupMs: int('--warmup-ms', 0), callsPerRep: int('--calls', 10), profile: argv.includes('--profile') };
}
