// How commands print: results on stdout (text, or MLflow's JSON with --json), diagnostics on stderr.
// Colour and progress only when stdout is a terminal, so pipes, CI logs and tests get plain bytes.
import { colourWanted } from './options.js';

interface Stream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface Io {
  stdout: Stream;
  stderr: Stream;
}

export interface Progress {
  /** `done` of `total` items handled; redraws at most every 100 ms. */
  update(done: number, total?: number): void;
  /** Clears the line. */
  end(): void;
}

const NO_PROGRESS: Progress = { update() {}, end() {} };

export class Output {
  readonly json: boolean;
  readonly colour: boolean;
  readonly interactive: boolean;

  constructor(
    readonly io: Io,
    opts: { json?: boolean } = {},
  ) {
    this.json = opts.json === true;
    this.interactive = io.stdout.isTTY === true && io.stderr.isTTY === true;
    this.colour = colourWanted(io.stdout.isTTY === true);
  }

  /** Prints a command's result: `value` as JSON with --json, else the text lines. */
  result(value: unknown, text: () => string | string[]): void {
    if (this.json) {
      this.io.stdout.write(JSON.stringify(value, null, 2) + '\n');
      return;
    }
    const t = text();
    const lines = Array.isArray(t) ? t : [t];
    if (lines.length) this.io.stdout.write(lines.join('\n') + '\n');
  }

  /** Raw text on stdout (for formats other than text and JSON, such as Markdown). */
  print(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** A diagnostic on stderr. */
  note(text: string): void {
    this.io.stderr.write(text + '\n');
  }

  bold(s: string): string {
    return this.colour ? `\x1b[1m${s}\x1b[22m` : s;
  }

  dim(s: string): string {
    return this.colour ? `\x1b[2m${s}\x1b[22m` : s;
  }

  /** A stage name, coloured by what it means for serving. */
  stage(s: string): string {
    if (!this.colour) return s;
    const code = s === 'Production' ? 32 : s === 'Staging' ? 33 : s === 'Archived' ? 90 : 0;
    return code ? `\x1b[${code}m${s}\x1b[39m` : s;
  }

  /** A progress line on stderr for long work, shown only on a terminal. */
  progress(label: string): Progress {
    if (!this.interactive || this.json) return NO_PROGRESS;
    const err = this.io.stderr;
    let last = 0;
    let shown = false;
    return {
      update(done, total) {
        const now = Date.now();
        if (now - last < 100 && done !== total) return;
        last = now;
        shown = true;
        const pct = total ? ` ${Math.floor((done / total) * 100)}%` : '';
        err.write(`\r\x1b[2K${label} ${done}${total ? `/${total}` : ''}${pct}`);
      },
      end() {
        if (shown) err.write('\r\x1b[2K');
      },
    };
  }
}

/** First 10 characters of an oid, as commit references in text output. */
export function shortOid(oid: string | null | undefined): string {
  return oid ? oid.slice(0, 10) : '';
}

/** Fixed-width columns; the last column is not padded. */
export function table(rows: string[][], visible: (s: string) => number = (s) => [...s].length): string[] {
  if (!rows.length) return [];
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(c))));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - visible(c))))
      .join('  ')
      .trimEnd(),
  );
}

/** Visible width of a string that may hold ANSI colour codes. */
export function visibleWidth(s: string): number {
  return [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

/** ISO time without milliseconds, for people. */
export function humanTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The one line a write prints: the commit message and where it went. */
export function describeWrite(
  w: { commit: string | null; message: string | null },
  opts: { pushed?: string | undefined; nothing: string },
): string {
  if (!w.message) return opts.nothing;
  if (!w.commit) return `${w.message} (working tree only, not committed)`;
  return `${w.message} [${shortOid(w.commit)}${opts.pushed ? `, pushed to ${opts.pushed}` : ''}]`;
}

let currentIo: Io = { stdout: process.stdout, stderr: process.stderr };

/** Where command output goes; main() sets it (tests pass in-memory streams). */
export function setIo(io: Io): void {
  currentIo = io;
}

export function outputFor(args: { json?: boolean | undefined }): Output {
  return new Output(currentIo, { json: args.json === true });
}
