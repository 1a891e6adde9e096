import { describe, expect, it } from 'vitest';
import type { LayerMetrics } from '../../common/metrics';
import { BATCH_FIELD, decodeEntry, encodeBatch, type StreamMessage } from '../../main/distributed/run-stream';

const layer = (step: number, l: number, extra: Partial<LayerMetrics> = {}): LayerMetrics => ({
  step,
  layer: l,
  gradNorm: 0.1 * l + step,
  weightNorm: 1.5,
  updateNorm: 0.01,
  effectiveLr: 0.2,
  lossUpdateShare: null,
  curvature: null,
  curvatureError: null,
  noiseScale: null,
  sharpness: null,
  distanceFromInit: null,
  updateCosine: null,
  ...extra,
});

describe('run stream batches', () => {
  it('carry layer records as rows and give them back as the same records, other messages untouched', () => {
    const batch: StreamMessage[] = [
      { type: 'assigned', worker: { name: 'w', host: 'h', pid: 1 }, attempt: 2 },
      { type: 'layers', metrics: [layer(1, 0, { lossUpdateShare: -0.5, curvature: 3.25, curvatureError: 0.125 }), layer(1, 1)] },
      { type: 'event', event: { step: 1, kind: 'note', detail: { a: 1 } }, seq: 0 },
      { type: 'exit', code: 0, signal: null, stderrTail: '' },
    ];
    const payload = encodeBatch(batch);
    // the keys once per message, not once per record
    expect(payload.split('gradNorm')).toHaveLength(2);
    expect(decodeEntry([BATCH_FIELD, payload])).toEqual(batch);
  });

  it('carry fields the records have whatever they are (a newer LayerMetrics), and records of mixed shapes as objects', () => {
    const wider = [{ ...layer(4, 0), noiseScale: 12.5 }, { ...layer(4, 1), noiseScale: null }] as unknown as LayerMetrics[];
    expect(decodeEntry([BATCH_FIELD, encodeBatch([{ type: 'layers', metrics: wider }])])).toEqual([{ type: 'layers', metrics: wider }]);
    const mixed = [layer(5, 0), { ...layer(5, 1), noiseScale: 3 }] as unknown as LayerMetrics[];
    expect(decodeEntry([BATCH_FIELD, encodeBatch([{ type: 'layers', metrics: mixed }])])).toEqual([{ type: 'layers', metrics: mixed }]);
  });

  it('turns NaN and infinities into null, as JSON does, and reads batches of the object form too', () => {
    const payload = encodeBatch([{ type: 'layers', metrics: [layer(2, 0, { curvatureError: Number.NaN, gradNorm: Number.POSITIVE_INFINITY })] }]);
    const [decoded] = decodeEntry([BATCH_FIELD, payload]);
    expect(decoded).toEqual({ type: 'layers', metrics: [{ ...layer(2, 0), gradNorm: null }] });
    const objectForm = JSON.stringify([{ type: 'layers', metrics: [layer(3, 1)] }]);
    expect(decodeEntry(['x', 'ignored', BATCH_FIELD, objectForm])).toEqual([{ type: 'layers', metrics: [layer(3, 1)] }]);
    expect(decodeEntry(null)).toEqual([]);
  });
});
