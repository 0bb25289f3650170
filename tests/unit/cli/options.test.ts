import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { datasetId, integer, judgeThreshold, nonNegativeInt, positiveInt, splitRatios } from '../../../src/cli/options';

describe('CLI option parsers', () => {
  it('positiveInt takes whole numbers from 1 and refuses the rest with the rule', () => {
    expect(positiveInt('1')).toBe(1);
    expect(positiveInt(' 250 ')).toBe(250);
    for (const bad of ['0', '-3', '2.5', '1e3', 'ten', '', '99999999999999999999']) {
      expect(() => positiveInt(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => positiveInt('0')).toThrow('at least 1');
  });

  it('nonNegativeInt allows 0 (an unlimited token budget), integer allows negatives (a seed)', () => {
    expect(nonNegativeInt('0')).toBe(0);
    expect(() => nonNegativeInt('-1')).toThrow('0 or more');
    expect(integer('-7')).toBe(-7);
    expect(() => integer('7.5')).toThrow(InvalidArgumentError);
  });

  it('judgeThreshold is a score from 1 to 10, decimals allowed', () => {
    expect(judgeThreshold('7')).toBe(7);
    expect(judgeThreshold('7.5')).toBe(7.5);
    for (const bad of ['0.5', '11', 'high', '']) expect(() => judgeThreshold(bad), bad).toThrow('from 1 to 10');
  });

  it('splitRatios reads train,validation,test and insists they add up to 1', () => {
    expect(splitRatios('0.8,0.1,0.1')).toEqual({ train: 0.8, validation: 0.1, test: 0.1 });
    expect(splitRatios('1, 0, 0')).toEqual({ train: 1, validation: 0, test: 0 });
    expect(() => splitRatios('0.8,0.2')).toThrow('three fractions');
    expect(() => splitRatios('0.8,,0.2')).toThrow('three fractions');
    expect(() => splitRatios('0.8,0.3,0.1')).toThrow('add up to 1.2, not 1');
    expect(() => splitRatios('1.5,-0.5,0')).toThrow('three fractions');
  });

  it('datasetId keeps to the ids workflows and tables accept', () => {
    expect(datasetId('my-docs_2.v1')).toBe('my-docs_2.v1');
    for (const bad of ['MyDocs', '-docs', 'a/b', '', 'x'.repeat(64)]) expect(() => datasetId(bad), bad).toThrow(InvalidArgumentError);
  });
});
