/**
 * The remote workers of the Workers panel, polled while the view is mounted: heartbeats live in
 * Redis and come as no event, so the list is read again every POLL_MS. Without Redis configured
 * the first answer says so and polling stops (that does not change while the backend runs).
 */
import { onBeforeUnmount, onMounted, shallowRef } from 'vue';
import type { WorkersListing } from '../../../common/api-contract';
import { api } from '../api';

const POLL_MS = 2000;

export function useWorkers() {
  const listing = shallowRef<WorkersListing | null>(null);
  let timer: number | undefined;
  let stopped = false;

  async function poll(): Promise<void> {
    try {
      listing.value = await api.listWorkers({});
    } catch {
      // the backend did not answer: keep the last list; the Runs view reports lost connections
    }
    if (stopped || listing.value?.distributed === false) return;
    timer = window.setTimeout(() => void poll(), POLL_MS);
  }

  onMounted(() => void poll());
  onBeforeUnmount(() => {
    stopped = true;
    window.clearTimeout(timer);
  });
  return { listing };
}
