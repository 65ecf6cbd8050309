/**
 * Whole seconds as a load counts them: `onProgress` goes to the load (one call per completed
 * second, over all its workers), and `seconds(n)` resolves after n more. Waiting on them, a test
 * reads a window the load itself has measured, which a busy machine cannot shorten as it can a
 * timer on the test's own thread.
 */
export function progressSeconds(): { onProgress: () => void; seconds: (n: number) => Promise<void> } {
  const waiting: { left: number; resolve: () => void }[] = [];
  return {
    onProgress: () => {
      for (const w of [...waiting]) {
        w.left--;
        if (w.left <= 0) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
      }
    },
    seconds: (n) => new Promise<void>((resolve) => waiting.push({ left: n, resolve })),
  };
}
