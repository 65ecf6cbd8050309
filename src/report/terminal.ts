/** Where live progress is drawn: the terminal's stderr, redrawn in place when it is a TTY. */
export interface Terminal {
  /** Human output: progress, messages. */
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress redraws one line when it is). */
  stderrIsTTY: boolean;
}
