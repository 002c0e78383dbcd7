import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/domain/time.ts';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['90', 90_000],
    ['1.5', 1500],
    ['0s', 0],
    ['90s', 90_000],
    ['500ms', 500],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1h30m15s', 5_415_000],
    ['2m30s', 150_000],
    ['1h30m15s250ms', 5_415_250],
    ['1h15s', 3_615_000],
    ['1.5s', 1500],
    ['0.5h', 1_800_000],
    ['1.25m', 75_000],
    ['1.000s', 1000],
    ['1h 30m', 5_400_000],
    ['12m 5s', 725_000],
    ['  45s\n', 45_000],
    ['007s', 7000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['', 'the value is empty'],
    ['   ', 'the value is empty'],
    ['-5s', 'must not be negative'],
    ['-1', 'must not be negative'],
    ['5d', "unknown unit 'd'"],
    ['10sec', "unknown unit 'sec'"],
    ['1H', "unknown unit 'H'"],
    ['5x', "unknown unit 'x'"],
    ['1e3s', "unknown unit 'e'"],
    ['1.s', "unknown unit '.s'"],
    ['1h1h', "the unit 'h' appears more than once"],
    ['30s2m', 'units must go from the largest to the smallest'],
    ['500ms1s', 'units must go from the largest to the smallest'],
    ['1h30', "the number '30' has no unit"],
    ['90 s', "the number '90' has no unit"],
    ['NaN', "expected a number at 'NaN'"],
    ['s', "expected a number at 's'"],
    ['+5s', "expected a number at '+5s'"],
    ['.5s', "expected a number at '.5s'"],
    ['Infinity', "expected a number at 'Infinity'"],
    ['1.5ms', "'1.5ms' is finer than a millisecond"],
    ['1.0005s', "'1.0005s' is finer than a millisecond"],
    ['0.0001', 'is finer than a millisecond'],
    ['99999999999999999999h', 'the value is too large'],
    ['9007199254740992ms', 'the value is too large'],
  ])('rejects %j: %s', (text, fragment) => {
    expect(() => parseDuration(text)).toThrow(fragment);
  });

  it('names the offending text in the message', () => {
    expect(() => parseDuration('1h1h')).toThrow(
      "Invalid duration '1h1h': the unit 'h' appears more than once",
    );
  });

  it('shortens a very long value in the message', () => {
    const text = `${'1'.repeat(60)}x`;
    expect(() => parseDuration(text)).toThrow(`Invalid duration '${'1'.repeat(37)}...': unknown unit 'x'`);
  });

  it('accepts the largest safe number of milliseconds', () => {
    expect(parseDuration('9007199254740991ms')).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1, '1ms'],
    [450, '450ms'],
    [999, '999ms'],
    [999.6, '1s'],
    [1000, '1s'],
    [1499, '1s'],
    [1500, '2s'],
    [45_000, '45s'],
    [59_499, '59s'],
    [59_500, '1m'],
    [60_000, '1m'],
    [725_000, '12m 5s'],
    [3_600_000, '1h'],
    [3_720_000, '1h 2m'],
    [3_605_000, '1h 5s'],
    [3_723_000, '1h 2m 3s'],
    [93_780_000, '26h 3m'],
    [-5000, '-5s'],
    [-0.4, '0s'],
    [Number.NaN, 'n/a'],
    [Number.POSITIVE_INFINITY, 'n/a'],
  ])('%d ms is %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('parses back to the same value for whole seconds and for less than a second', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 999 }),
          fc.integer({ min: 1, max: 10_000_000 }).map((s) => s * 1000),
        ),
        (ms) => {
          expect(parseDuration(formatDuration(ms))).toBe(ms);
        },
      ),
    );
  });
});
