/** Where the view writes: process.stdout, or anything with `write` (tests). */
export interface ViewOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
// eslint-disable-next-line no-control-regex -- matches ANSI escape sequences
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/**
 * The demo's terminal output: permanent lines (the story) and one live block below them (the
 * run's current state). On a TTY the live block is redrawn in place with ANSI escapes and a
 * spinner; otherwise (a pipe, a file, a test) it is printed as one appended line each time it changes.
 */
export class ProgressView {
  readonly tty: boolean;
  private readonly color: boolean;
  private live: { header: string; items: string[] } | null = null;
  private drawnLines = 0;
  private lastPlainLive = '';
  private frame = 0;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: ViewOutput,
    env: NodeJS.ProcessEnv = {},
  ) {
    this.tty = out.isTTY === true && env.TERM !== 'dumb';
    this.color = this.tty && env.NO_COLOR === undefined;
    if (this.tty) {
      this.timer = setInterval(() => {
        this.frame = (this.frame + 1) % SPINNER.length;
        if (this.live) this.redraw();
      }, 100);
      this.timer.unref();
    }
  }

  bold = (s: string) => this.paint(s, 1);
  dim = (s: string) => this.paint(s, 2);
  red = (s: string) => this.paint(s, 31);
  green = (s: string) => this.paint(s, 32);
  yellow = (s: string) => this.paint(s, 33);
  cyan = (s: string) => this.paint(s, 36);

  /** A permanent line, written above the live block. */
  line(text = ''): void {
    this.eraseLive();
    this.out.write(`${text}\n`);
    this.drawLive();
  }

  section(title: string): void {
    this.line();
    this.line(this.bold(title));
  }

  ok(text: string): void {
    this.line(`  ${this.green('✓')} ${text}`);
  }

  fail(text: string): void {
    this.line(`  ${this.red('✗')} ${text}`);
  }

  /** A numbered step of the story. */
  step(n: number, text: string): void {
    this.line(`${String(n).padStart(3)}. ${text}`);
  }

  /** A detail under the last step. */
  note(text: string): void {
    this.line(`       ${this.dim(text)}`);
  }

  /** Replaces the live block: a header and one item per line (TTY) or all on one line (plain). */
  setLive(header: string, items: string[]): void {
    if (this.tty) {
      this.eraseLive();
      this.live = { header, items };
      this.drawLive();
      return;
    }
    const text = `    · ${header} — ${items.join(', ')}`;
    if (text !== this.lastPlainLive) this.out.write(`${text}\n`);
    this.lastPlainLive = text;
  }

  clearLive(): void {
    this.eraseLive();
    this.live = null;
    this.lastPlainLive = '';
  }

  close(): void {
    this.clearLive();
    if (this.timer) clearInterval(this.timer);
  }

  private redraw(): void {
    this.eraseLive();
    this.drawLive();
  }

  private drawLive(): void {
    if (!this.tty || !this.live) return;
    const lines = [
      `  ${this.cyan(SPINNER[this.frame]!)} ${this.live.header}`,
      ...this.live.items.map((item) => `      ${item}`),
    ];
    this.out.write(lines.map((l) => this.fit(l)).join('\n'));
    this.drawnLines = lines.length;
  }

  /** Moves to the start of the live block and clears it (the cursor is on its last line). */
  private eraseLive(): void {
    if (!this.tty || this.drawnLines === 0) return;
    this.out.write(`\r\x1b[2K${'\x1b[1A\x1b[2K'.repeat(this.drawnLines - 1)}`);
    this.drawnLines = 0;
  }

  /** One screen line: longer text would wrap and break the redraw. */
  private fit(line: string): string {
    const width = Math.max(20, (this.out.columns || 100) - 1);
    const plain = line.replace(ANSI, '');
    return plain.length <= width ? line : `${plain.slice(0, width - 1)}…`;
  }

  private paint(s: string, code: number): string {
    return this.color ? `\x1b[${code}m${s}\x1b[0m` : s;
  }
}
