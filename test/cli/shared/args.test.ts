import { describe, expect, it } from 'vitest';
import { nonNegativeInt, oneImageArg, openFraction, parseCommandLine, positiveInt, probability, usageLine } from '../../../src/cli/shared/args.js';
import { datasetOptions } from '../../../src/cli/shared/dataset-options.js';
import { MemeguardError } from '../../../src/errors.js';

const USAGE = 'usage: memeguard thing [options]\n  --n N   a number';

function usageError(f: () => unknown): MemeguardError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MemeguardError);
    const err = e as MemeguardError;
    expect(err.code).toBe('USAGE');
    expect(err.message).not.toContain('\n');
    return err;
  }
  throw new Error('no error thrown');
}

describe('parseCommandLine', () => {
  const options = { n: { type: 'string' }, json: { type: 'boolean' } } as const;
  it('parses known options and positionals', () => {
    const r = parseCommandLine({ args: ['a.png', '--n', '3', '--json'], options, allowPositionals: true }, USAGE);
    expect(r.values).toEqual({ n: '3', json: true });
    expect(r.positionals).toEqual(['a.png']);
  });
  it('an unknown option is a one-line USAGE error whose hint is the usage line', () => {
    const err = usageError(() => parseCommandLine({ args: ['--nope'], options }, USAGE));
    expect(err.message).toContain('--nope');
    expect(err.hint).toBe(usageLine(USAGE));
  });
  it('is strict even when the config says otherwise', () => {
    usageError(() => parseCommandLine({ args: ['--nope'], options, strict: false }, USAGE));
  });
});

describe('checked numbers', () => {
  it('positiveInt', () => {
    expect(positiveInt('n', undefined)).toBeUndefined();
    expect(positiveInt('n', '12')).toBe(12);
    expect(positiveInt('n', ' 7 ')).toBe(7);
    for (const bad of ['0', '-1', '1.5', 'x', '', '1e3', '99999999999999999999']) {
      expect(usageError(() => positiveInt('n', bad)).message).toBe(`--n must be a positive integer, got "${bad}"`);
    }
  });
  it('nonNegativeInt', () => {
    expect(nonNegativeInt('seed', '0')).toBe(0);
    expect(nonNegativeInt('seed', '41')).toBe(41);
    for (const bad of ['-1', '2.5', 'abc', '']) usageError(() => nonNegativeInt('seed', bad));
  });
  it('probability takes 0 to 1 inclusive', () => {
    expect(probability('threshold', '0')).toBe(0);
    expect(probability('threshold', '1')).toBe(1);
    expect(probability('threshold', '0.25')).toBe(0.25);
    for (const bad of ['', ' ', '-0.1', '1.01', 'NaN', 'Infinity', 'half']) {
      expect(usageError(() => probability('threshold', bad)).message).toContain('--threshold must be a number from 0 to 1');
    }
  });
  it('openFraction excludes 0 and 1', () => {
    expect(openFraction('held-out', '0.2')).toBe(0.2);
    expect(openFraction('held-out', undefined)).toBeUndefined();
    for (const bad of ['0', '1', '', 'x', '-0.5']) usageError(() => openFraction('held-out', bad));
  });
});

describe('oneImageArg', () => {
  it('takes exactly one image', () => {
    expect(oneImageArg('check', ['-'], USAGE)).toBe('-');
    expect(usageError(() => oneImageArg('check', [], USAGE)).message).toBe('check needs an image (a file or -)');
    expect(usageError(() => oneImageArg('embed', ['a', 'b'], USAGE)).message).toBe('embed takes one image');
  });
});

describe('datasetOptions (train and evaluate)', () => {
  it('reads the data set, subset, seed and cache options', () => {
    expect(datasetOptions({ data: 'd', split: 'dev', limit: '5', seed: '3', cache: '/c' }, USAGE)).toEqual({
      dataDir: 'd',
      split: 'dev',
      limit: 5,
      sample: undefined,
      seed: 3,
      cacheDir: '/c',
    });
    expect(datasetOptions({ data: 'd', 'no-cache': true }, USAGE)).toMatchObject({ seed: 0, cacheDir: null });
  });
  it('asks for --data first, then refuses bad numbers', () => {
    expect(usageError(() => datasetOptions({ limit: 'x' }, USAGE)).message).toBe('--data DIR is required');
    expect(usageError(() => datasetOptions({ data: 'd', sample: '0' }, USAGE)).message).toContain('--sample');
  });
});
