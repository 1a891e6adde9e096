export const repoRoot: string;
export const outDir: string;
export const builtFiles: string[];
export function buildState(): 'missing' | 'stale' | 'fresh';
export const electronViteBin: string;
