/**
 * Asking the user to confirm a destructive action: `await confirm({...})`
 * resolves true or false. One ConfirmDialog in the App shell renders the request.
 */
import { shallowRef } from 'vue';

export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel?: string;
  danger?: boolean;
}

interface PendingConfirm extends ConfirmRequest {
  resolve(answer: boolean): void;
}

const pending = shallowRef<PendingConfirm | null>(null);

export function confirm(request: ConfirmRequest): Promise<boolean> {
  pending.value?.resolve(false);
  return new Promise((resolve) => {
    pending.value = { ...request, resolve };
  });
}

export function answerConfirm(answer: boolean): void {
  const request = pending.value;
  pending.value = null;
  request?.resolve(answer);
}

export function useConfirm() {
  return { pending, confirm, answerConfirm };
}
