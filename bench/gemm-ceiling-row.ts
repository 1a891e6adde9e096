/**
 * Row: the MLP training step's arithmetic rate as a share of one large MatMul's on
 * the same backend (gemm-ceiling.ts, both timed in turns in one process), in
 * wall-clock time: GFLOP/s per elapsed second, as a user's run sees them. The bench
 * warns when the machine is busy; the fastest repetitions, the least disturbed, are in
 * the notes, and so is the share in CPU time of the process, which also counts the
 * JIT and garbage-collector threads V8 runs beside the step (and not beside the one
 * large product).
 */
import { runTsChild } from './child-process';
import type { GemmCeilingResult } from './gemm-ceiling';
import { byKernelName } from './kernel-profile';
import { formatNumber, unmeasuredRow, type Row } from './report';

export interface GemmCeilingRowOptions {
  rounds: number;
  log: (line: string) => void;
}

export async function gemmCeilingRow(o: GemmCeilingRowOptions): Promise<{ row: Row; result: GemmCeilingResult | null }> {
  const id = 'mlp-gemm-ceiling';
  const label = 'MLP 784-256-128-10, B=256: step GFLOP/s vs a 1024³ MatMul on the same backend (wall clock)';
  const target = { op: '>=', value: 80, unit: '%' } as const;
  let r: GemmCeilingResult;
  try {
    o.log(`  MatMul 1024³ and the MLP step, ${o.rounds} rounds in turns`);
    r = await runTsChild<GemmCeilingResult>('gemm-ceiling.ts', ['--rounds', String(o.rounds)], { timeoutMs: 15 * 60_000 });
  } catch (error) {
    return { row: unmeasuredRow(id, label, target, `the child failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`), result: null };
  }
  const { ceiling, step, matMulShare, profile } = r;
  const gf = (v: number): string => formatNumber(v, 1);
  const top = byKernelName(profile)
    .slice(0, 8)
    .map((k) => `${k.kernel} ${k.totalMs.toFixed(2)}`)
    .join(', ');
  o.log(`    ceiling ${gf(ceiling.gflopsWall)} GFLOP/s, step ${gf(step.gflopsWall)} GFLOP/s (wall clock)`);
  const share = (a: number, b: number): string => `${((a / b) * 100).toFixed(1)} %`;
  return {
    result: r,
    row: {
      id,
      label,
      batchscope: `${gf(step.gflopsWall)} GFLOP/s (${step.wallMs.toFixed(2)} ms per step, ${formatNumber(step.flops / 1e6)} MFLOP)`,
      reference: `${gf(ceiling.gflopsWall)} GFLOP/s (${ceiling.what}, ${ceiling.wallMs.toFixed(1)} ms)`,
      measured: (step.gflopsWall / ceiling.gflopsWall) * 100,
      target,
      notes: [
        `fastest repetitions: step ${gf(step.gflopsWallBest)} (${step.bestWallMs.toFixed(2)} ms) vs ceiling ${gf(ceiling.gflopsWallBest)} GFLOP/s (${ceiling.bestWallMs.toFixed(1)} ms), ${share(step.gflopsWallBest, ceiling.gflopsWallBest)}`,
        `CPU time of the process: step ${gf(step.gflopsCpu)} (${step.cpuMs.toFixed(2)} ms, of which V8's JIT and GC threads about ${Math.max(0, step.cpuMs - step.wallMs).toFixed(1)}) vs ceiling ${gf(ceiling.gflopsCpu)} GFLOP/s, ${share(step.gflopsCpu, ceiling.gflopsCpu)}`,
        `profile of the step (CPU ms, fastest of 20 per kernel call): ${profile.wallMs.toFixed(2)} ms, of which kernels ${profile.kernelMs.toFixed(2)}, MatMul ${matMulShare.matMulMs.toFixed(2)} (${(matMulShare.ofWall * 100).toFixed(0)} % of the step, ${(matMulShare.ofKernels * 100).toFixed(0)} % of kernel time); by kernel: ${top}`,
        `at the ceiling the step's products alone would take ${(step.flops / ceiling.gflopsWall / 1e6).toFixed(2)} ms`,
      ],
    },
  };
}
