import { describe, expect, it } from 'vitest';
import type { LayerMetrics } from '../../common/metrics';
import { BATCH_FIELD, VALUES_FIELD, decodeEntry, encodeBatch, type StreamMessage } from '../../main/distributed/run-stream';

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
    const fields = encodeBatch(batch);
    // the keys once per message, not once per record; the values as 8-byte floats
    expect(fields[0]).toBe(BATCH_FIELD);
    expect((fields[1] as string).split('gradNorm')).toHaveLength(2);
    expect(fields[2]).toBe(VALUES_FIELD);
    expect((fields[3] as Buffer).length).toBe(2 * 13 * 8);
    expect(decodeEntry(fields)).toEqual(batch);
    // as XREADGROUP gives them back when read as Buffers
    expect(decodeEntry(fields.map((f) => Buffer.from(f)))).toEqual(batch);
  });

  it('carry fields the records have whatever they are (a newer LayerMetrics), and records of mixed shapes as objects', () => {
    const wider = [{ ...layer(4, 0), noiseScale: 12.5 }, { ...layer(4, 1), noiseScale: null }] as unknown as LayerMetrics[];
    expect(decodeEntry(encodeBatch([{ type: 'layers', metrics: wider }]))).toEqual([{ type: 'layers', metrics: wider }]);
    const mixed = [layer(5, 0), { ...layer(5, 1), noiseScale: 3 }] as unknown as LayerMetrics[];
    expect(decodeEntry(encodeBatch([{ type: 'layers', metrics: mixed }]))).toEqual([{ type: 'layers', metrics: mixed }]);
  });

  it('turns NaN and infinities into null, as JSON does, and reads batches of the object form too', () => {
    const [decoded] = decodeEntry(encodeBatch([{ type: 'layers', metrics: [layer(2, 0, { curvatureError: Number.NaN, gradNorm: Number.POSITIVE_INFINITY })] }]));
    expect(decoded).toEqual({ type: 'layers', metrics: [{ ...layer(2, 0), gradNorm: null }] });
    const objectForm = JSON.stringify([{ type: 'layers', metrics: [layer(3, 1)] }]);
    expect(decodeEntry(['x', 'ignored', BATCH_FIELD, objectForm])).toEqual([{ type: 'layers', metrics: [layer(3, 1)] }]);
    expect(decodeEntry(null)).toEqual([]);
  });

  it('carries records with a value that is not a number as JSON rows, and refuses an entry whose values are cut short', () => {
    const odd = [{ ...layer(6, 0), tag: 'x' }] as unknown as LayerMetrics[];
    const fields = encodeBatch([{ type: 'layers', metrics: odd }]);
    expect(fields).toHaveLength(2);
    expect(decodeEntry(fields)).toEqual([{ type: 'layers', metrics: odd }]);
    const full = encodeBatch([{ type: 'layers', metrics: [layer(7, 0), layer(7, 1)] }]);
    expect(() => decodeEntry([full[0]!, full[1]!, VALUES_FIELD, (full[3] as Buffer).subarray(0, 13 * 8)])).toThrow(/layer values missing/);
  });

  it('gives back records whose column names are not plain identifiers as data, never as code or a prototype', () => {
    const odd = JSON.stringify([{ type: 'layers', columns: ['step', 'a-b', '__proto__', 'x) { throw 1 } //'], rows: [[1, 2, 3, 4]] }]);
    const [decoded] = decodeEntry([BATCH_FIELD, odd]) as unknown as [{ type: 'layers'; metrics: Record<string, unknown>[] }];
    const record = decoded.metrics[0]!;
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.keys(record)).toEqual(['step', 'a-b', '__proto__', 'x) { throw 1 } //']);
    expect(Object.values(record)).toEqual([1, 2, 3, 4]);
  });
});
