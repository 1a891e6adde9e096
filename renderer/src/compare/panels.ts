/** What a Compare chart plots: a step field, an evaluation field, or one layer's field. */
import { evalFields, layerFields, stepFields, type EvalField, type LayerField, type StepField } from '../../../common/api-contract';

export type PanelMetric = { source: 'step'; field: StepField } | { source: 'eval'; field: EvalField } | { source: 'layer'; field: LayerField };

export interface Panel {
  /** stable across edits, for keys and test ids */
  id: number;
  metric: PanelMetric;
  /** layer index, for layer fields */
  layer: number;
}

export const metricTitles: Record<string, string> = {
  'step:loss': 'Training loss (batch)',
  'step:accuracy': 'Training accuracy (batch)',
  'step:lr': 'Learning rate',
  'step:batchSize': 'Batch size',
  'step:discarded': 'Discarded samples per step',
  'step:lossUpdate': 'Loss change per update ΔL',
  'step:noiseScale': 'Gradient noise scale B_simple (network)',
  'step:sharpness': 'Sharpness λ_max (network)',
  'step:stepMs': 'Step time (ms)',
  'eval:trainLoss': 'Train loss (eval)',
  'eval:trainAccuracy': 'Train accuracy (eval)',
  'eval:testLoss': 'Test loss',
  'eval:testAccuracy': 'Test accuracy',
  'eval:gap': 'Generalization gap (train − test accuracy)',
  'layer:gradNorm': 'Gradient norm ‖g_l‖',
  'layer:weightNorm': 'Weight norm ‖w_l‖',
  'layer:updateNorm': 'Update length ‖Δw_l‖',
  'layer:effectiveLr': 'Effective learning rate η_l',
  'layer:lossUpdateShare': 'Share of ΔL (g_l·Δw_l)',
  'layer:curvature': 'Curvature κ_l',
  'layer:curvatureError': 'Curvature error estimate (± on κ_l)',
  'layer:noiseScale': 'Gradient noise scale of the layer',
  'layer:sharpness': 'Sharpness λ_max(H_ll) of the layer',
  'layer:distanceFromInit': 'Distance from initialization ‖w_l − w_l(0)‖',
  'layer:updateCosine': 'Cosine of consecutive updates',
};

export function metricKey(metric: PanelMetric): string {
  return `${metric.source}:${metric.field}`;
}

export const metricChoices: { key: string; metric: PanelMetric }[] = [
  ...stepFields.map((field) => ({ key: `step:${field}`, metric: { source: 'step', field } as PanelMetric })),
  ...evalFields.map((field) => ({ key: `eval:${field}`, metric: { source: 'eval', field } as PanelMetric })),
  ...layerFields.map((field) => ({ key: `layer:${field}`, metric: { source: 'layer', field } as PanelMetric })),
];

export function metricFromKey(key: string): PanelMetric | null {
  return metricChoices.find((c) => c.key === key)?.metric ?? null;
}

export function defaultPanels(): Panel[] {
  return [
    { id: 0, metric: { source: 'step', field: 'loss' }, layer: 0 },
    { id: 1, metric: { source: 'eval', field: 'testAccuracy' }, layer: 0 },
    { id: 2, metric: { source: 'eval', field: 'gap' }, layer: 0 },
    { id: 3, metric: { source: 'layer', field: 'effectiveLr' }, layer: 0 },
  ];
}
