/**
 * Where a Batchscope training step spends its time, per kernel and input shape,
 * on wasm with the fast kernels registered (the input to the kernel work).
 * When a kernel the step needs is missing on the backend, the step is profiled
 * without the gradients that need it, and the missing kernel is named.
 * For the MLP it also times each backward matmul as tfjs issues it (a transposed
 * operand) against an explicit transpose followed by a plain matmul.
 *
 *   node bin/run-ts.mjs bench/profile-step.ts --workload mlp|cnn
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../main/engine/backend';
import { buildModel } from '../main/engine/models/build-model';
import { perSampleCrossEntropy } from '../main/engine/training/loss';
import { profileKernels, type KernelProfile } from './kernel-profile';
import { timePerCall } from './stats';
import { parseStepArgs } from './step-result';
import { workloadNamed } from './workloads';

const args = parseStepArgs(process.argv.slice(2));
const workload = workloadNamed(args.workload);
const backend = await selectBackend('wasm');
const B = workload.batchSize;
const model = buildModel(workload.model, workload.inputShape, workload.numClasses, 1);
const x = tf.randomUniform([B, ...workload.inputShape], 0, 1, 'float32', 3);
const oneHot = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([B], 0, workload.numClasses, 'int32', 2) as tf.Tensor1D, workload.numClasses), 'float32')) as tf.Tensor2D;
const lossFn = (): tf.Scalar => tf.mean(perSampleCrossEntropy(model.apply(x, { training: true, updateStats: false }), oneHot));
const allVars = model.groups.flatMap((g) => g.params);

const gradientStep = (vars: tf.Variable[]) => (): void => {
  const { value, grads } = tf.variableGrads(lossFn, vars);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};

function missingKernel(error: unknown): string | null {
  const match = /Kernel '(\w+)' not registered/.exec(error instanceof Error ? error.message : String(error));
  return match ? match[1]! : null;
}

function print(title: string, p: KernelProfile): void {
  console.log(`\n${title}: ${p.wallMs.toFixed(1)} ms wall, ${p.kernelMs.toFixed(1)} ms in ${p.kernelCalls} kernel calls, ${p.outsideKernelsMs.toFixed(1)} ms outside kernels`);
  for (const k of p.kernels.filter((k) => k.totalMs >= 0.05 * p.kernelMs || k.totalMs >= 1).slice(0, 15)) {
    console.log(`  ${k.totalMs.toFixed(2).padStart(8)} ms  ${String(k.calls).padStart(2)}×  ${k.kernel.padEnd(22)} ${k.shapes}`);
  }
}

console.log(`${workload.label}, B=${B}, ${backend.name}; kernels registered over the stock ones are whatever registerFastKernels('wasm') installed`);
const forward = (): void => void tf.tidy(() => lossFn().dataSync());
forward();
print('forward (loss read back)', await profileKernels(forward));

let vars = allVars;
let skipped: string | null = null;
try {
  gradientStep(vars)();
} catch (error) {
  const kernel = missingKernel(error);
  if (!kernel) throw error;
  // without the convolution kernels' gradients no Conv2DBackpropFilter is needed
  const convKernels = model.groups.filter((g) => g.kind === 'conv').map((g) => g.params[0]!);
  vars = allVars.filter((v) => !convKernels.includes(v));
  skipped = `${kernel} is not registered for ${backend.name}: profiled without the gradients of ${convKernels.map((v) => v.name).join(', ')}`;
  gradientStep(vars)();
}
if (skipped) console.log(`\n${skipped}`);
print(skipped ? 'gradient pass (partial)' : 'gradient pass (forward + backward, loss read back)', await profileKernels(gradientStep(vars)));

if (workload.name === 'mlp') {
  console.log('\nbackward matmuls: as tfjs issues them vs explicit transpose + plain matmul (ms, median)');
  const o = { warmup: 3, reps: 5, callsPerRep: 5 };
  const hidden = workload.model.kind === 'mlp' ? workload.model.hidden : [];
  const widths = [workload.inputShape.reduce((a, b) => a * b, 1), ...hidden, workload.numClasses];
  for (let i = 0; i + 1 < widths.length; i++) {
    const [fanIn, fanOut] = [widths[i]!, widths[i + 1]!];
    const input = tf.randomUniform([B, fanIn]);
    const dy = tf.randomUniform([B, fanOut]);
    const weight = tf.randomUniform([fanIn, fanOut]);
    const ms = (f: () => tf.Tensor): string => timePerCall(() => tf.tidy(f).dispose(), o).wall.median.toFixed(2);
    console.log(`  dW ${fanIn}x${fanOut} = xᵀ·dy: transposeA ${ms(() => tf.matMul(input, dy, true, false))}, explicit ${ms(() => tf.matMul(tf.transpose(input), dy))}`);
    if (i > 0) console.log(`  dx ${B}x${fanIn} = dy·Wᵀ: transposeB ${ms(() => tf.matMul(dy, weight, false, true))}, explicit ${ms(() => tf.matMul(dy, tf.transpose(weight)))}`);
    console.log(`  forward ${B}x${fanIn}·${fanIn}x${fanOut}: ${ms(() => tf.matMul(input, weight))}`);
    tf.dispose([input, dy, weight]);
  }
}
