import { describe, expect, it } from 'vitest';
import { classifyStatus, classifyTransportError } from '../../../src/load/error-class.js';

describe('error classes', () => {
  it.each([
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['UND_ERR_SOCKET', 'reset'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['EWHATEVER', 'other'],
  ])('classifies code %s as %s', (code, cls) => {
    expect(classifyTransportError(Object.assign(new Error('x'), { code }))).toBe(cls);
  });

  it('classifies errors without a code as other', () => {
    expect(classifyTransportError(new Error('boom'))).toBe('other');
    expect(classifyTransportError(null)).toBe('other');
  });

  it.each([
    [200, undefined],
    [302, undefined],
    [404, 'http4xx'],
    [429, 'http429'],
    [500, 'http5xx'],
    [503, 'http5xx'],
  ])('classifies status %d as %s', (status, cls) => {
    expect(classifyStatus(status)).toBe(cls);
  });
});
