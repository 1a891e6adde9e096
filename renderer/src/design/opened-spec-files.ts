/**
 * Spec files the desktop app was asked to open (a double-clicked
 * `*.batchscope.json`, "Open With Batchscope"): main reads them and sends a
 * 'spec-file-opened' event; they load into the designer like "Load JSON…".
 */
import { subscribe } from '../api';
import { notify } from '../composables/useNotices';
import { loadSpec } from './design-store';

export function listenForOpenedSpecFiles(showDesigner: () => void): () => void {
  return subscribe((event) => {
    if (event.type !== 'spec-file-opened') return;
    if (event.error !== undefined) {
      notify(`Could not open ${event.fileName}: ${event.error}`, 'error');
      return;
    }
    const problems = loadSpec(event.json, event.fileName);
    if (problems.length) {
      notify(`${event.fileName} is not a valid experiment spec: ${problems.slice(0, 4).join('; ')}`, 'error');
      return;
    }
    showDesigner();
    notify(`Loaded ${event.fileName} into the designer`);
  });
}
