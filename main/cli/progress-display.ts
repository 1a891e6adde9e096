/** Progress on a terminal: a redrawn bar on a TTY, plain lines (at most one every few seconds) otherwise. */
import type { Progress } from '../../common/metrics';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '--:--';
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

export function progressLine(p: Progress, label = ''): string {
  return [
    label,
    `epoch ${p.epoch.toFixed(2)}`,
    `step ${p.step}/${p.totalSteps}`,
    `loss ${p.loss.toFixed(4)}`,
    `acc ${(p.accuracy * 100).toFixed(1)}%`,
    `${Math.round(p.samplesPerSec)} samples/s`,
    `ETA ${formatDuration(p.etaMs)}`,
  ]
    .filter(Boolean)
    .join('  ');
}

export function renderBar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(Math.max(fraction, 0), 1) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export class ProgressDisplay {
  private lastPlainMs = -Infinity;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly plainEveryMs = 2000,
  ) {}

  update(p: Progress, label = ''): void {
    if (this.out.isTTY) {
      const bar = renderBar(p.step / Math.max(p.totalSteps, 1), 24);
      const line = `${bar} ${progressLine(p, label)}`;
      this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns || 120) - 1)}`);
      return;
    }
    const now = Date.now();
    if (now - this.lastPlainMs >= this.plainEveryMs || p.step === p.totalSteps) {
      this.lastPlainMs = now;
      this.out.write(`${progressLine(p, label)}\n`);
    }
  }

  finish(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
