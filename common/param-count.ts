/**
 * Trainable-parameter count of a model spec for a dataset, computed from shapes
 * alone (no tensors), so the designer can show it live as the form changes.
 * Mirrors main/engine/models; a test checks both agree.
 */
import type { DatasetShape } from './resource-budget';
import type { DatasetSpec, ModelSpec } from './spec';

/** Input shape, class count and sample counts a dataset kind implies, when known without reading files. */
export function knownDatasetShape(dataset: DatasetSpec): DatasetShape | null {
  const sized = (inputShape: number[], numClasses: number, train: number, test: number): DatasetShape => ({
    inputShape,
    numClasses,
    samples: train + test,
    trainSamples: Math.min(train, dataset.trainLimit ?? Infinity),
  });
  const generated = (samples: number, testFraction: number) => [Math.round(samples * (1 - testFraction)), samples - Math.round(samples * (1 - testFraction))] as const;
  switch (dataset.kind) {
    case 'mnist':
    case 'fashion-mnist':
      return sized([28, 28, 1], 10, 60000, 10000);
    case 'cifar10':
      return sized([32, 32, 3], 10, 50000, 10000);
    case 'blobs':
      return sized([dataset.features], dataset.classes, ...generated(dataset.samples, dataset.testFraction));
    case 'spirals':
      return sized([2], dataset.arms, ...generated(dataset.samples, dataset.testFraction));
    default:
      return null;
  }
}

const dense = (fanIn: number, fanOut: number): number => fanIn * fanOut + fanOut;

export function parameterCountOf(model: ModelSpec, inputShape: number[], numClasses: number): number {
  const inputSize = inputShape.reduce((a, b) => a * b, 1);
  if (model.kind === 'mlp') {
    const widths = [inputSize, ...model.hidden, numClasses];
    return widths.slice(1).reduce((n, w, i) => n + dense(widths[i]!, w), 0);
  }
  const [height, width, channels] = inputShape.length === 3 ? inputShape : [inputShape[0] ?? 1, inputShape[1] ?? 1, 1];
  if (model.kind === 'cnn') {
    let [h, w, c] = [height!, width!, channels!];
    let total = 0;
    for (const block of model.conv) {
      total += block.kernelSize * block.kernelSize * c * block.filters + block.filters;
      const out = (size: number) => (block.padding === 'same' ? Math.ceil(size / block.stride) : Math.floor((size - block.kernelSize) / block.stride) + 1);
      h = Math.floor(out(h) / block.pool);
      w = Math.floor(out(w) / block.pool);
      c = block.filters;
    }
    const widths = [h * w * c, ...model.dense, numClasses];
    return total + widths.slice(1).reduce((n, x, i) => n + dense(widths[i]!, x), 0);
  }
  // resnet: convs without bias, each followed by batch norm (gamma, beta)
  const conv = (size: number, cin: number, cout: number) => size * size * cin * cout + 2 * cout;
  let total = conv(3, channels!, model.width);
  let cin = model.width;
  model.stages.forEach((count, s) => {
    const cout = model.width * 2 ** s;
    for (let b = 0; b < count; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      total += conv(3, cin, cout) + conv(3, cout, cout);
      if (stride !== 1 || cin !== cout) total += conv(1, cin, cout);
      cin = cout;
    }
  });
  return total + dense(cin, numClasses);
}
