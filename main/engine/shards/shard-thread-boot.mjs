// Loads a replica thread from the TypeScript sources (tests, the CLI, benches): worker
// threads do not inherit the parent's tsx loader, so the thread registers its own first.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
