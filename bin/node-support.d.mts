export const supportedNode: string;
export const minimumWorkingNode: string;
export function nodeSupport(version?: string): 'supported' | 'works' | 'too-old';
