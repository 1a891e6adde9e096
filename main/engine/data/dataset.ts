/** A dataset in memory: normalised float features and integer labels, split into train and test. */
export interface DataSplit {
  /** row-major, `count × prod(inputShape)` */
  x: Float32Array;
  /** class index per sample, in [0, numClasses) */
  y: Int32Array;
  count: number;
}

export interface Dataset {
  name: string;
  /** shape of one sample, e.g. [28, 28, 1] for images (NHWC) or [2] for points */
  inputShape: number[];
  numClasses: number;
  classNames: string[];
  train: DataSplit;
  test: DataSplit;
  /** where it came from, for the run record */
  source: string;
  /**
   * For image datasets: how stored pixels p ∈ 0…255 became features,
   * x = (p / 255 − mean[c]) / std[c] per channel c, so pictures can be drawn back.
   */
  imageNormalization?: ImageNormalization;
}

export interface ImageNormalization {
  /** per channel, on the 0…1 scale */
  mean: number[];
  /** per channel, on the 0…1 scale */
  std: number[];
}

export class DatasetError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DatasetError';
  }
}
