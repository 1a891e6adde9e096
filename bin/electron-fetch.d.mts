export interface ElectronPackage {
  dir: string;
  version: string;
}
export function electronPackage(fromDir: string): ElectronPackage | { reason: string };
export function installedElectronBinary(pkg: ElectronPackage): string | null;
export function fetchElectron(
  pkg: ElectronPackage,
  options: { timeoutMs: number; log?: (line: string) => void; env?: NodeJS.ProcessEnv },
): Promise<{ binary: string } | { reason: string }>;
