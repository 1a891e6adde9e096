/**
 * Coalesces bursts of "new data" signals into at most one refresh per interval,
 * never two at once: live metrics arrive far faster than charts need redrawing.
 */
import { onBeforeUnmount } from 'vue';

export function useThrottledRefresh(refresh: () => Promise<void>, intervalMs = 1000) {
  let running = false;
  let queued = false;
  let lastStartMs = 0;
  let timer: number | undefined;
  let stopped = false;

  const start = async (): Promise<void> => {
    timer = undefined;
    if (stopped) return;
    running = true;
    queued = false;
    lastStartMs = performance.now();
    try {
      await refresh();
    } finally {
      running = false;
      if (queued) request();
    }
  };

  /** Ask for a refresh; it happens as soon as the interval allows. */
  function request(): void {
    if (stopped) return;
    if (running) {
      queued = true;
      return;
    }
    if (timer !== undefined) return;
    const waitMs = Math.max(0, lastStartMs + intervalMs - performance.now());
    timer = window.setTimeout(() => void start(), waitMs);
  }

  onBeforeUnmount(() => {
    stopped = true;
    window.clearTimeout(timer);
  });
  return { request };
}
