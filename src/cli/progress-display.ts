/**
 * The import progress bar (cli-progress) on stderr: percentage of the input (bytes for JSONL /
 * CSV, rows for Parquet), documents imported, documents per second over the last few seconds,
 * and the ETA. On a terminal it redraws in place; otherwise (CI, pipes, logs) it prints one line
 * every few seconds and a final one. `--no-progress` turns it off.
 */
import cliProgress from "cli-progress";

export const RATE_WINDOW_MS = 10_000;
export const NON_TTY_INTERVAL_MS = 2000;

export interface ProgressOptions {
  enabled: boolean;
  total: number;
  startValue: number;
  startRows: number;
  unit: "bytes" | "rows";
  stream?: NodeJS.WriteStream;
  nonTtyIntervalMs?: number;
}

export class ImportProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly samples: { at: number; rows: number }[] = [];
  private rows: number;
  private status = "";

  constructor(options: ProgressOptions) {
    this.rows = options.startRows;
    if (!options.enabled) {
      this.bar = null;
      return;
    }
    this.bar = new cliProgress.SingleBar(
      {
        format: "{bar} {percentage}% | {rows} docs | {rate} docs/s | ETA {eta_formatted} {status}",
        stream: options.stream ?? process.stderr,
        noTTYOutput: true,
        notTTYSchedule: options.nonTtyIntervalMs ?? NON_TTY_INTERVAL_MS,
        hideCursor: true,
        etaBuffer: 50,
        etaAsynchronousUpdate: true,
        barsize: 30,
        // Resumed imports: the ETA counts only what this run does.
        progressCalculationRelative: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.samples.push({ at: Date.now(), rows: this.rows });
    this.bar.start(Math.max(1, options.total), Math.min(options.startValue, options.total), this.payload());
  }

  private rate(): number {
    const now = Date.now();
    while (this.samples.length > 2 && now - this.samples[1].at > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? (this.rows - first.rows) / seconds : 0;
  }

  private payload(): Record<string, string> {
    return { rows: this.rows.toLocaleString("en-US"), rate: Math.round(this.rate()).toLocaleString("en-US"), status: this.status };
  }

  /** The acknowledged position and the documents imported so far (all runs). */
  update(value: number, rows: number): void {
    this.rows = rows;
    this.samples.push({ at: Date.now(), rows });
    this.bar?.update(value, this.payload());
  }

  /** A short note after the bar, e.g. "retrying after 429 in 120 ms"; "" clears it. */
  note(status: string): void {
    this.status = status;
    this.bar?.update(this.payload());
  }

  stop(): void {
    this.bar?.stop();
  }
}
