/** Short messages at the bottom of the window: what failed and why, or what just happened. */
import { ref } from 'vue';
import { ApiError } from '../../../common/api-client';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

const notices = ref<Notice[]>([]);
let nextId = 1;

export function dismissNotice(id: number): void {
  notices.value = notices.value.filter((n) => n.id !== id);
}

export function notify(text: string, kind: Notice['kind'] = 'info', visibleMs = kind === 'error' ? 10_000 : 4_000): void {
  const id = nextId++;
  notices.value = [...notices.value.slice(-3), { id, kind, text }];
  window.setTimeout(() => dismissNotice(id), visibleMs);
}

/** "Could not delete run 3: …" with the field issues an ApiError carries. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError && error.issues.length > 0) {
    return `${error.message} (${error.issues.map((i) => `${i.path || 'spec'}: ${i.message}`).join('; ')})`;
  }
  return error instanceof Error ? error.message : String(error);
}

export function notifyError(what: string, error: unknown): void {
  notify(`${what}: ${describeError(error)}`, 'error');
}

export function useNotices() {
  return { notices, notify, notifyError, dismissNotice };
}
