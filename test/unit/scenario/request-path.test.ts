import { describe, expect, it } from 'vitest';
import { controlCharAt, encodePath } from '../../../src/scenario/request-path.js';

describe('request paths', () => {
  it.each([
    ['/api?x=a b', '/api?x=a%20b'],
    ['/already%20encoded', '/already%20encoded'],
    ['/100%', '/100%25'],
    ['/é', '/%C3%A9'],
    ['/emoji/😀', '/emoji/%F0%9F%98%80'],
    ['/q?a="b"&c=<d>', '/q?a=%22b%22&c=%3Cd%3E'],
    ["/keep:@!$&'()*+,;=-._~/?", "/keep:@!$&'()*+,;=-._~/?"],
    ['/lone\uD800', '/lone%EF%BF%BD'],
  ])('encodes %j as %j', (path, encoded) => {
    expect(encodePath(path)).toBe(encoded);
    // Encoding is idempotent: a path read twice is sent the same.
    expect(encodePath(encoded)).toBe(encoded);
  });

  it('finds control characters', () => {
    expect(controlCharAt('/a\nb')).toBe(2);
    expect(controlCharAt('/a\u007f')).toBe(2);
    expect(controlCharAt('/fine')).toBe(-1);
  });
});
