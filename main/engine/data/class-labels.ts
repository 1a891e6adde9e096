/**
 * The class count of a user's labels (IDX, CSV): given as `numClasses`, every label must
 * lie below it; inferred as the largest label + 1, a file whose labels are, say, 3 … 243
 * would silently become a 244-class model, so that case is reported as a warning.
 */
import { DatasetError } from './dataset';

export interface ClassCensus {
  numClasses: number;
  /** samples per class, `numClasses` long */
  counts: number[];
  /** set when the count was inferred and most classes have no sample */
  warning?: string;
}

export function classCensus(labels: ArrayLike<number>, file: string, givenClasses?: number): ClassCensus {
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (givenClasses !== undefined && label >= givenClasses) {
      throw new DatasetError(file, `label ${label} at index ${i} is out of range: numClasses is ${givenClasses} (labels 0 … ${givenClasses - 1})`);
    }
    if (label > max) max = label;
  }
  const numClasses = givenClasses ?? max + 1;
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]! += 1;
  const empty = counts.filter((n) => n === 0).length;
  if (givenClasses !== undefined || empty * 2 <= numClasses) return { numClasses, counts };
  const used = counts.map((n, c) => (n > 0 ? c : -1)).filter((c) => c >= 0);
  return {
    numClasses,
    counts,
    warning:
      `${file}: labels ${used[0]} … ${used.at(-1)} make a ${numClasses}-class model, but ${empty} of the ${numClasses} classes have no sample; ` +
      'set dataset.numClasses if that is intended, or check that the labels are 0, 1, 2 …',
  };
}
