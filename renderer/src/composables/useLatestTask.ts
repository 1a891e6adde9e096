/**
 * Runs an async task when its input changes, debounced, keeping only the newest
 * answer: a slow reply to an old input never overwrites a newer one. The first
 * input runs at once: the debounce is for bursts of edits, and a view that
 * opens should not wait for it.
 */
import { onBeforeUnmount, shallowRef, watch, type WatchSource } from 'vue';

export function useLatestTask<I, R>(source: WatchSource<I>, task: (input: I) => Promise<R>, options: { debounceMs?: number; immediate?: boolean; skip?: (input: I) => boolean } = {}) {
  const { debounceMs = 250, immediate = true, skip } = options;
  const result = shallowRef<R | null>(null);
  const error = shallowRef<unknown>(null);
  const pending = shallowRef(false);
  let sequence = 0;
  let timer: number | undefined;
  let ranOnce = false;

  const run = async (input: I): Promise<void> => {
    const mine = ++sequence;
    pending.value = true;
    try {
      const value = await task(input);
      if (mine !== sequence) return;
      result.value = value;
      error.value = null;
    } catch (caught) {
      if (mine !== sequence) return;
      error.value = caught;
    } finally {
      if (mine === sequence) pending.value = false;
    }
  };

  watch(
    source,
    (input) => {
      window.clearTimeout(timer);
      // a skipped input keeps the last answer on screen (and drops any answer still on its way)
      if (skip?.(input)) {
        sequence++;
        pending.value = false;
        return;
      }
      if (!ranOnce) {
        ranOnce = true;
        void run(input);
        return;
      }
      timer = window.setTimeout(() => void run(input), debounceMs);
    },
    { immediate, deep: true },
  );
  onBeforeUnmount(() => {
    window.clearTimeout(timer);
    sequence++;
  });
  return { result, error, pending };
}
