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

/** 75 → "1m15s", 4000 → "1h06m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

export class ImportProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly samples: { at: number; rows: number; value: number }[] = [];
  private readonly total: number;
  private rows: number;
  private value: number;
  private status = "";

  constructor(options: ProgressOptions) {
    this.rows = options.startRows;
    this.value = options.startValue;
    this.total = Math.max(1, options.total);
    if (!options.enabled) {
      this.bar = null;
      return;
    }
    this.bar = new cliProgress.SingleBar(
      {
        format: "{bar} {percentage}% | {rows} docs | {rate} docs/s | ETA {eta_text} {status}",
        stream: options.stream ?? process.stderr,
        noTTYOutput: true,
        notTTYSchedule: options.nonTtyIntervalMs ?? NON_TTY_INTERVAL_MS,
        hideCursor: true,
        barsize: 30,
      },
      cliProgress.Presets.shades_classic,
    );
    this.samples.push({ at: Date.now(), rows: this.rows, value: this.value });
    this.bar.start(this.total, Math.min(this.value, this.total), this.payload());
  }

  /** Documents and progress units per second over the last RATE_WINDOW_MS (this run only). */
  private rates(): { rows: number; value: number } {
    const now = Date.now();
    while (this.samples.length > 2 && now - this.samples[1].at > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const seconds = (now - first.at) / 1000;
    if (seconds <= 0) return { rows: 0, value: 0 };
    return { rows: (this.rows - first.rows) / seconds, value: (this.value - first.value) / seconds };
  }

  private payload(): Record<string, string> {
    const rates = this.rates();
    return {
      rows: this.rows.toLocaleString("en-US"),
      rate: Math.round(rates.rows).toLocaleString("en-US"),
      eta_text: rates.value > 0 ? formatDuration((this.total - this.value) / rates.value) : "--",
      status: this.status,
    };
  }

  /** The acknowledged position and the documents imported so far (all runs). */
  update(value: number, rows: number): void {
    this.rows = rows;
    this.value = Math.min(value, this.total);
    this.samples.push({ at: Date.now(), rows, value: this.value });
    this.bar?.update(this.value, this.payload());
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
