/** How much of the thread the hog takes: `busyMs` out of every `everyMs`. */
export interface CpuHog {
  busyMs: number;
  everyMs: number;
}

/** Start hogging this thread; returns the function that stops it. */
export function startCpuHog(hog: CpuHog): () => void;

/** Environment that makes a child Node process hog its main thread from its first line. */
export function cpuHogEnv(hog: CpuHog): Record<string, string>;
