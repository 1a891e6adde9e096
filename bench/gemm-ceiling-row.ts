/**
 * Row: the MLP training step's arithmetic rate as a share of one large MatMul's on
 * the same backend (gemm-ceiling.ts, both timed in turns in one process). The
 * share is taken in CPU time: on an idle machine it equals the wall-clock share,
 * and on a shared one it is the figure the neighbours do not move (the wall-clock
 * share is in the notes).
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
  const label = 'MLP 784-256-128-10, B=256: step GFLOP/s vs a 1024³ MatMul on the same backend (CPU time)';
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
  o.log(`    ceiling ${gf(ceiling.gflopsCpu)} GFLOP/s, step ${gf(step.gflopsCpu)} GFLOP/s (CPU time)`);
  return {
    result: r,
    row: {
      id,
      label,
      batchscope: `${gf(step.gflopsCpu)} GFLOP/s (${step.cpuMs.toFixed(1)} ms CPU per step, ${formatNumber(step.flops / 1e6)} MFLOP)`,
      reference: `${gf(ceiling.gflopsCpu)} GFLOP/s (${ceiling.what}, ${ceiling.cpuMs.toFixed(1)} ms CPU)`,
      measured: (step.gflopsCpu / ceiling.gflopsCpu) * 100,
      target,
      notes: [
        `fastest repetitions (CPU): step ${gf(step.gflopsCpuBest)} (${step.bestCpuMs.toFixed(1)} ms) vs ceiling ${gf(ceiling.gflopsCpuBest)} GFLOP/s (${ceiling.bestCpuMs.toFixed(1)} ms), ${((step.gflopsCpuBest / ceiling.gflopsCpuBest) * 100).toFixed(1)} %`,
        `wall clock: step ${gf(step.gflopsWall)} vs ceiling ${gf(ceiling.gflopsWall)} GFLOP/s, ${((step.gflopsWall / ceiling.gflopsWall) * 100).toFixed(1)} %`,
        `profile of the step (CPU ms, fastest of 20 per kernel call): ${profile.wallMs.toFixed(2)} ms, of which kernels ${profile.kernelMs.toFixed(2)}, MatMul ${matMulShare.matMulMs.toFixed(2)} (${(matMulShare.ofWall * 100).toFixed(0)} % of the step, ${(matMulShare.ofKernels * 100).toFixed(0)} % of kernel time); by kernel: ${top}`,
        `at the ceiling the step's products alone would take ${(step.flops / ceiling.gflopsCpu / 1e6).toFixed(2)} ms`,
      ],
    },
  };
}
