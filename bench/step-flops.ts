/**
 * Floating-point operations in one MLP training step's matrix products, the work a
 * GEMM-bound step cannot avoid. Per dense layer fanIn → fanOut at batch B, a
 * multiply-add being 2 FLOPs:
 *   forward          y = x·W       2·B·fanIn·fanOut
 *   weight gradient  dW = xᵀ·dy    2·B·fanIn·fanOut
 *   input gradient   dx = dy·Wᵀ    2·B·fanIn·fanOut, except for the first layer
 *                                  (nobody needs the gradient of the data)
 * i.e. about 6·B·Σ fanIn·fanOut. Bias, activation, softmax and the update are
 * O(B·width) and left out: time spent there counts against the step's rate.
 */
export function mlpLayerWidths(inputSize: number, hidden: readonly number[], numClasses: number): number[] {
  return [inputSize, ...hidden, numClasses];
}

export function mlpStepFlops(widths: readonly number[], batchSize: number): number {
  let flops = 0;
  for (let i = 0; i + 1 < widths.length; i++) {
    const macs = batchSize * widths[i]! * widths[i + 1]!;
    flops += 2 * macs * (i === 0 ? 2 : 3);
  }
  return flops;
}
