/** Human labels for spec keys; anything not listed reads its camelCase key as words. */
const labels: Record<string, string> = {
  trainLimit: 'train samples (limit)',
  testLimit: 'test samples (limit)',
  testFraction: 'test fraction',
  dir: 'folder',
  trainImages: 'train images file',
  trainLabels: 'train labels file',
  testImages: 'test images file',
  testLabels: 'test labels file',
  path: 'CSV file',
  labelColumn: 'label column (name or index)',
  header: 'first row is a header',
  beta1: 'β₁',
  beta2: 'β₂',
  epsilon: 'ε',
  weightDecay: 'weight decay',
  trustCoefficient: 'trust coefficient η',
  excludeBiasAndNorm: 'skip bias & norm layers',
  clip: 'clip local rate (LARC)',
  trustClip: 'trust ratio clip',
  curvature: 'curvature estimator',
  elementCurvature: 'element curvature',
  mode: 'mode',
  refreshEvery: 'refresh every (steps)',
  kappaMin: 'κ min',
  ratioMin: 'ratio min',
  ratioMax: 'ratio max',
  minFactor: 'min factor',
  factor: 'factor',
  power: 'power',
};

const hints: Record<string, string> = {
  mode: 'absolute: damped Newton step; relative: scaled by the geometric mean of κ',
  trainLimit: 'empty: all training samples',
  testLimit: 'empty: all test samples',
  trustClip: '0 for none',
  every: 'steps between per-layer stats',
  curvatureEvery: 'steps between κ estimates',
  curvatureBatch: 'first samples of the batch used for κ',
  relativeStep: 'h = value · max(‖w_l‖, 1)',
};

export function fieldLabel(key: string): string {
  return labels[key] ?? key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

export function fieldHint(key: string): string | undefined {
  return hints[key];
}
