/** A regress scenario made of flags: flag values as their fields take them, the arms checked first. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { clip, fieldValue, regressScenarioFromFlags } from '../../../src/regress/flag-scenario.js';

const FLAGS = [
  { flag: 'baseline-image', path: 'regress.baseline.image' },
  { flag: 'baseline-cmd', path: 'regress.baseline.command' },
  { flag: 'candidate-cmd', path: 'regress.candidate.command' },
  { flag: 'env', path: 'regress.env' },
];

describe('regress scenario from flags', () => {
  it('splits command lines and KEY=VALUE pairs, and refuses bad ones by flag', () => {
    expect(fieldValue('candidate-cmd', `node 'my server.js'`)).toEqual(['node', 'my server.js']);
    expect(fieldValue('env', ['A=1', 'B=x=y'])).toEqual({ A: '1', B: 'x=y' });
    expect(fieldValue('port', 8080)).toBe(8080);
    expect(() => fieldValue('baseline-cmd', '  ')).toThrow(/^--baseline-cmd: is empty/);
    expect(() => fieldValue('env', ['=1'])).toThrow(UsageError);
  });

  it('clips a long name with an ellipsis', () => {
    expect(clip('abcdef', 6)).toBe('abcdef');
    expect(clip('abcdefg', 6)).toBe('abcde…');
  });

  it('needs each arm named once, then validates the scenario', () => {
    expect(() => regressScenarioFromFlags(FLAGS, { 'baseline-image': 'a:1' })).toThrow(/name the candidate/);
    expect(() => regressScenarioFromFlags(FLAGS, { 'baseline-image': 'a:1', 'baseline-cmd': 'x' })).toThrow(
      /give one of them/,
    );
    const { scenario, digest } = regressScenarioFromFlags(FLAGS, {
      'baseline-cmd': 'node a.js',
      'candidate-cmd': 'node b.js',
      env: ['K=V'],
    });
    expect(scenario.name).toBe('regress command "node a.js" vs command "node b.js"');
    expect(scenario.regress.candidate.command).toEqual(['node', 'b.js']);
    expect(scenario.regress.env).toEqual({ K: 'V' });
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
  });
});
