import { trainRun } from './main/engine/training/train-run';
process.env.BATCHSCOPE_QUIET = '1';
for (const threads of [1, 2, 1, 2]) {
  const ms: number[] = [];
  await trainRun({ dataset: { kind: 'mnist' }, model: { kind: 'mlp', hidden: [256, 128] }, batch: { size: 1024 }, training: { steps: 25, evalEverySteps: 1000, trainEvalSamples: 100, testEvalSamples: 100 }, diagnostics: { every: 1000, curvatureEvery: 0, lossUpdate: false }, backend: 'wasm', threads },
    { started: () => {}, step: (m) => ms.push(m.stepMs), layers: () => {}, eval: () => {}, event: () => {}, progress: () => {} });
  const sorted = ms.slice(3).sort((a, b) => a - b);
  const med = sorted[sorted.length >> 1]!;
  console.log(`threads ${threads}: median step ${med.toFixed(1)} ms → ${(1024 / med * 1000).toFixed(0)} samples/s (min step ${sorted[0]!.toFixed(1)} ms → ${(1024 / sorted[0]! * 1000).toFixed(0)})`);
}
