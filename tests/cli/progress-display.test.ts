import { describe, expect, it } from 'vitest';
import { formatDuration, ProgressDisplay, renderBar } from '../../main/cli/progress-display';

const progress = { step: 30, totalSteps: 120, epoch: 0.25, loss: 0.6931, accuracy: 0.5, samplesPerSec: 1234.4, etaMs: 95_000 };

function terminal(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, columns: 140, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream, written };
}

describe('progress display', () => {
  it('redraws one bar line in place on a terminal', () => {
    const { stream, written } = terminal(true);
    const display = new ProgressDisplay(stream);
    display.update(progress, '#1');
    display.update({ ...progress, step: 60 }, '#1');
    expect(written).toHaveLength(2);
    expect(written[0]).toBe('\r\x1b[2K[######..................] #1  epoch 0.25  step 30/120  loss 0.6931  acc 50.0%  1234 samples/s  ETA 01:35');
    expect(written[1]).toContain('[############............]');
  });

  it('cuts the line to the terminal width', () => {
    const written: string[] = [];
    const narrow = { isTTY: true, columns: 40, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    new ProgressDisplay(narrow).update(progress);
    expect(written[0]!.replace('\r\x1b[2K', '')).toHaveLength(39);
  });

  it('writes plain lines, at most one per interval, off a terminal', () => {
    const { stream, written } = terminal(false);
    const display = new ProgressDisplay(stream, 60_000);
    display.update(progress);
    display.update({ ...progress, step: 31 });
    display.update({ ...progress, step: 120 });
    expect(written).toEqual([
      'epoch 0.25  step 30/120  loss 0.6931  acc 50.0%  1234 samples/s  ETA 01:35\n',
      'epoch 0.25  step 120/120  loss 0.6931  acc 50.0%  1234 samples/s  ETA 01:35\n',
    ]);
  });

  it('formats durations and bars', () => {
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatDuration(NaN)).toBe('--:--');
    expect(renderBar(2, 4)).toBe('[####]');
  });
});
