import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv, readCsv } from '../../../main/engine/data/csv';
import { DatasetError } from '../../../main/engine/data/dataset';
import { makeTempDir } from './fixture-files';

const tmp = makeTempDir();
afterAll(() => tmp.remove());

function csvError(text: string, options: { header: boolean; labelColumn?: string | number }): DatasetError {
  try {
    parseCsv(text, 'data.csv', options);
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return e as DatasetError;
  }
  throw new Error('no error');
}

describe('CSV parsing', () => {
  it('reads a header, features and the last column as label by default', () => {
    const table = parseCsv('\uFEFFa,b,label\r\n1,2,0\r\n3.5,-4e1,2\r\n\r\n', 'data.csv', { header: true });
    expect(table.count).toBe(2);
    expect([...table.x]).toEqual([1, 2, 3.5, -40]);
    expect([...table.y]).toEqual([0, 2]);
    expect(table.featureNames).toEqual(['a', 'b']);
    expect(table.labelName).toBe('label');
    expect(table.numClasses).toBe(3);
  });

  it('takes the label column by name or by index, header optional, tabs allowed', () => {
    const byName = parseCsv('"class",x,y\n1,0.5,0.25\n0,1,2\n', 'data.csv', { header: true, labelColumn: 'class' });
    expect([...byName.y]).toEqual([1, 0]);
    expect([...byName.x]).toEqual([0.5, 0.25, 1, 2]);
    const byIndex = parseCsv('1\t0.5\t9\n0\t1\t8\n', 'data.csv', { header: false, labelColumn: 0 });
    expect([...byIndex.y]).toEqual([1, 0]);
    expect(byIndex.featureNames).toEqual(['column 1', 'column 2']);
  });

  it('rejects a ragged row, naming the line', () => {
    const error = csvError('a,b,label\n1,2,0\n1,2\n', { header: true });
    expect(error.file).toBe('data.csv');
    expect(error.message).toBe('data.csv: line 3 has 2 fields, expected 3 like line 1');
  });

  it('rejects a non-numeric or empty cell, naming the line and column', () => {
    expect(csvError('a,b,label\n1,2,0\n1,x7,1\n', { header: true }).message).toMatch(/line 3, column "b": "x7" is not a number/);
    expect(csvError('1,,0\n', { header: false }).message).toMatch(/line 1, column 1: empty cell/);
    expect(csvError('a,b,label\n1,2,0\n', { header: false }).message).toMatch(/if the first line is a header, set header: true/);
  });

  it('rejects non-integer, negative and implausibly large labels', () => {
    expect(csvError('a,label\n1,0\n2,1.5\n', { header: true }).message).toMatch(/line 3: label "1.5" is not a class index/);
    expect(csvError('a,label\n1,-1\n', { header: true }).message).toMatch(/line 2: label "-1" is not a class index/);
    expect(csvError('a,label\n1,5000\n', { header: true }).message).toMatch(/label 5000 is above 999; is column "label" really the label/);
  });

  it('explains label-column and header mistakes', () => {
    expect(csvError('a,b\n1,0\n', { header: true, labelColumn: 'c' }).message).toMatch(/no column named "c"; the header has "a", "b"/);
    expect(csvError('1,0\n', { header: false, labelColumn: 'c' }).message).toMatch(/is a name, but header is false/);
    expect(csvError('a,b\n1,0\n', { header: true, labelColumn: 5 }).message).toMatch(/labelColumn 5 is out of range: the file has 2 columns/);
    expect(csvError('1,2,0\n3,4,1\n', { header: true }).message).toMatch(/line 1 looks like data, not a header/);
    expect(csvError('a,b\n\n', { header: true }).message).toMatch(/has no data lines/);
    expect(csvError('', { header: true }).message).toMatch(/is empty/);
  });

  it('reads from a file and reports a missing one', async () => {
    const path = tmp.file('points.csv', 'x,label\n1,0\n2,1\n');
    expect((await readCsv(path, { header: true })).count).toBe(2);
    await expect(readCsv(`${tmp.dir}/missing.csv`, { header: true })).rejects.toThrow(/missing\.csv: file not found/);
  });
});
