/**
 * Numeric CSV: one sample per line, every cell a number, one column the integer
 * class label (0, 1, 2 …; by header name or 0-based index, default the last column).
 * Comma-separated, or tab-separated when the first line has tabs and no commas.
 * Blank lines are skipped; a UTF-8 byte-order mark is ignored; header cells may be quoted.
 * Errors name the file and the 1-based line, so a spreadsheet user can find the cell.
 */
import { maxClasses } from '../../../common/spec';
import { classCensus } from './class-labels';
import { DatasetError, type DataSplit } from './dataset';
import { readDatasetFile } from './dataset-file';

export interface CsvOptions {
  /** header name or 0-based index; default: the last column */
  labelColumn?: string | number;
  /** whether the first line names the columns */
  header: boolean;
  /** labels must lie below it; default: the largest label + 1 */
  numClasses?: number | undefined;
}

export interface CsvTable extends DataSplit {
  featureNames: string[];
  labelName: string;
  /** as given, or the largest label + 1 */
  numClasses: number;
  /** set when the class count was inferred and most classes have no sample */
  classWarning?: string;
}

/** Larger labels almost always mean the wrong column was taken for the label. */
export const MAX_CSV_CLASSES = maxClasses;

const unquote = (cell: string): string => cell.trim().replace(/^"(.*)"$/, '$1');

function resolveLabelColumn(names: string[] | undefined, width: number, labelColumn: string | number | undefined, file: string): number {
  if (labelColumn === undefined) return width - 1;
  if (typeof labelColumn === 'number') {
    if (labelColumn >= width) {
      throw new DatasetError(file, `labelColumn ${labelColumn} is out of range: the file has ${width} columns (0 … ${width - 1})`);
    }
    return labelColumn;
  }
  if (!names) throw new DatasetError(file, `labelColumn "${labelColumn}" is a name, but header is false; give a 0-based index`);
  const index = names.indexOf(labelColumn);
  if (index < 0) throw new DatasetError(file, `no column named "${labelColumn}"; the header has ${names.map((n) => `"${n}"`).join(', ')}`);
  return index;
}

export function parseCsv(text: string, file: string, options: CsvOptions): CsvTable {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first < 0) throw new DatasetError(file, 'is empty');
  const delimiter = !lines[first]!.includes(',') && lines[first]!.includes('\t') ? '\t' : ',';
  const split = (line: string): string[] => line.replace(/\r$/, '').split(delimiter);
  const firstCells = split(lines[first]!);
  const width = firstCells.length;
  if (width < 2) throw new DatasetError(file, `line ${first + 1} has one column; a label column and at least one feature are needed`);

  let names: string[] | undefined;
  if (options.header) {
    names = firstCells.map(unquote);
    if (names.every((name) => name !== '' && Number.isFinite(Number(name)))) {
      throw new DatasetError(file, `line ${first + 1} looks like data, not a header (every cell is a number); set header: false`);
    }
  }
  const labelIndex = resolveLabelColumn(names, width, options.labelColumn, file);
  const columnName = (c: number): string => (names ? `column "${names[c]}"` : `column ${c}`);

  const features: number[] = [];
  const labels: number[] = [];
  for (let l = options.header ? first + 1 : first; l < lines.length; l++) {
    const line = lines[l]!;
    if (line.trim() === '') continue;
    const where = `line ${l + 1}`;
    const cells = split(line);
    if (cells.length !== width) {
      throw new DatasetError(file, `${where} has ${cells.length} fields, expected ${width} like line ${first + 1}`);
    }
    for (let c = 0; c < width; c++) {
      const cell = cells[c]!.trim();
      const value = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(value)) {
        const hint = !options.header && l === first ? '; if the first line is a header, set header: true' : '';
        throw new DatasetError(file, `${where}, ${columnName(c)}: ${cell === '' ? 'empty cell' : `"${cell}" is not a number`}${hint}`);
      }
      if (c !== labelIndex) {
        features.push(value);
        continue;
      }
      if (!Number.isInteger(value) || value < 0) {
        throw new DatasetError(file, `${where}: label "${cell}" is not a class index (an integer 0, 1, 2 …)`);
      }
      if (value >= MAX_CSV_CLASSES) {
        throw new DatasetError(file, `${where}: label ${value} is above ${MAX_CSV_CLASSES - 1}; is ${columnName(labelIndex)} really the label?`);
      }
      labels.push(value);
    }
  }
  if (labels.length === 0) throw new DatasetError(file, 'has no data lines');
  const census = classCensus(labels, file, options.numClasses);
  const featureNames = Array.from({ length: width }, (_, c) => (names ? names[c]! : `column ${c}`)).filter((_, c) => c !== labelIndex);
  return {
    x: Float32Array.from(features),
    y: Int32Array.from(labels),
    count: labels.length,
    featureNames,
    labelName: names ? names[labelIndex]! : `column ${labelIndex}`,
    numClasses: census.numClasses,
    ...(census.warning ? { classWarning: census.warning } : {}),
  };
}

export async function readCsv(file: string, options: CsvOptions): Promise<CsvTable> {
  return parseCsv((await readDatasetFile(file)).toString('utf8'), file, options);
}
