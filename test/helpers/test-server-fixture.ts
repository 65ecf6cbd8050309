/**
 * One test server for a whole file: started before its tests, closed after them, and what it saw
 * cleared before each test. The object returned is filled in once the server listens (beforeAll).
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startTestServer, type TestServer } from './server.js';

/** Register the file's test server; read it from the tests (it listens once beforeAll has run). */
export function useTestServer(script?: Parameters<typeof startTestServer>[0]): TestServer {
  const server = {} as TestServer;
  beforeAll(async () => {
    Object.assign(server, await startTestServer(script));
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.seen.length = 0;
  });
  return server;
}
