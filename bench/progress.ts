/**
 * A live progress line on stderr: rewritten in place on a terminal, one line per update
 * otherwise (CI logs), so stdout stays clean for the result table.
 */
export class ProgressLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  #width = 0;
  #last = '';

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
  }

  /**
   * Replaces the line with `text`. A `transient` update (a phase, a counter) is shown only on a
   * terminal; off a terminal only the lasting ones (results) are written, one per line.
   */
  update(text: string, options: { transient?: boolean } = {}): void {
    if (text === this.#last || (options.transient === true && !this.#tty)) return;
    this.#last = text;
    if (this.#tty) {
      const pad = Math.max(0, this.#width - text.length);
      this.#stream.write(`\r${text}${' '.repeat(pad)}`);
      this.#width = text.length;
    } else {
      this.#stream.write(`${text}\n`);
    }
  }

  /** Ends the line (moves to a fresh one) so later output does not overwrite it. */
  done(): void {
    if (this.#tty && this.#width > 0) this.#stream.write('\n');
    this.#width = 0;
    this.#last = '';
  }
}
