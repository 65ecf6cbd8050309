import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../../src/errors.js';
import { formatDurationMs, formatRatePerSec, parseDurationMs, parseRatePerSec } from '../../../src/scenario/units.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['250us', 0.25],
    ['1200', 1200],
    [' 2s ', 2000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', 'abc', '10 parsecs', '-5s', '5x', 's'])('rejects %j and names the field', (text) => {
    expect(() => parseDurationMs(text, '--duration')).toThrow(ScenarioError);
    expect(() => parseDurationMs(text, '--duration')).toThrow(/^--duration: expected a duration/);
  });

  it('never throws anything but ScenarioError', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          const ms = parseDurationMs(text);
          return Number.isFinite(ms) && ms >= 0;
        } catch (error) {
          return error instanceof ScenarioError;
        }
      }),
    );
  });

  it.each([
    [850, '850ms'],
    [12_500, '12.5s'],
    [200_000, '3m20s'],
    [120_000, '2m'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDurationMs(ms)).toBe(text);
  });
});

describe('rates', () => {
  it.each([
    ['2000/s', 2000],
    ['120/min', 2],
    ['3600/h', 1],
    ['500', 500],
    [250, 250],
    ['7.5/s', 7.5],
  ])('reads %j as %d per second', (text, rate) => {
    expect(parseRatePerSec(text)).toBe(rate);
  });

  it.each(['0/s', 'fast', '10/fortnight', '-1', 0, Number.NaN, ''])('rejects %j', (text) => {
    expect(() => parseRatePerSec(text, '--rate')).toThrow(/^--rate: expected a positive rate/);
  });

  it.each([
    [412.4, '412/s'],
    [10, '10/s'],
    [9.96, '10/s'],
    [2.54, '2.5/s'],
    [0.1, '0.1/s'],
  ])('prints %d per second as %s', (rate, text) => {
    expect(formatRatePerSec(rate)).toBe(text);
  });
});
