import { afterEach, describe, expect, it } from 'vitest';
import { BuildError } from '../../../src/errors.js';
import { describeContainerExit } from '../../../src/regress/container-build.js';
import { stillServing, waitForHealth } from '../../../src/regress/health.js';
import { closedPort, startTestServer, type TestServer } from '../../helpers/server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(status: number): Promise<TestServer> {
  const s = await startTestServer(() => ({ status }));
  servers.push(s);
  return s;
}

describe('waiting for a build to become healthy', () => {
  it('accepts a 2xx while the build runs', async () => {
    const s = await server(200);
    await expect(waitForHealth({ url: `${s.url}/health`, timeoutMs: 2000, gone: () => undefined })).resolves.toEqual({
      waitedMs: expect.any(Number),
    });
  });

  it('refuses a 2xx from whatever else listens on the port once the build has exited', async () => {
    const s = await server(200);
    const waiting = waitForHealth({
      url: `${s.url}/health`,
      timeoutMs: 2000,
      gone: () => 'the command exited with code 1 (last output: EADDRINUSE)',
    });
    await expect(waiting).rejects.toThrow(BuildError);
    await expect(waiting).rejects.toThrow(/exited with code 1 .*before .* answered 2xx \(last: 200, so something else/);
  });
});

describe('checking that a healthy build still serves', () => {
  it('is silent while the build runs and answers 2xx', async () => {
    const s = await server(204);
    expect(await stillServing(`${s.url}/health`, () => undefined)).toBeUndefined();
  });

  it('says how the build ended when it exited, even if something answers on its port', async () => {
    const s = await server(200);
    expect(await stillServing(`${s.url}/health`, async () => 'the command exited with code 137')).toBe(
      'the command exited with code 137',
    );
  });

  it('names the health answer when the build runs but does not answer 2xx', async () => {
    const s = await server(503);
    expect(await stillServing(`${s.url}/health`, () => undefined)).toBe(
      `it still runs, but ${s.url}/health no longer answers 2xx (503)`,
    );
    const port = await closedPort();
    expect(await stillServing(`http://127.0.0.1:${port}/health`, () => undefined)).toMatch(/ECONNREFUSED/);
  });
});

describe("a stopped container's end in words", () => {
  it.each([
    [{ ExitCode: 1, OOMKilled: false }, 'boom', 'the container exited with code 1 (last output: boom)'],
    [{ ExitCode: 2, OOMKilled: false }, '', 'the container exited with code 2'],
    [
      { ExitCode: 137, OOMKilled: true },
      '',
      'the container was killed for running out of memory (OOMKilled, exit code 137; --memory sets the limit)',
    ],
  ])('%o with output %j', (state, logs, expected) => {
    expect(describeContainerExit(state, logs)).toBe(expected);
  });
});
