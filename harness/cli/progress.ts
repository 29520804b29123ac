// Progress lines of a CLI run: `[  1m05s |   17.2 MiB] <what>`: elapsed since the start, MiB the
// registry served to the device so far, and what is happening.
export class Progress {
  private readonly started = Date.now();
  mib = 0;
  private ticker?: NodeJS.Timeout;

  elapsed(): string {
    const s = Math.round((Date.now() - this.started) / 1000);
    return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
  }

  log(line: string): void {
    console.log(`[${this.elapsed().padStart(6)} | ${this.mib.toFixed(1).padStart(6)} MiB] ${line}`);
  }

  /** Repeats `what()` every `ms` while a long step runs. */
  keepSaying(what: () => string | undefined, ms = 15_000): void {
    this.stop();
    this.ticker = setInterval(() => {
      const line = what();
      if (line) this.log(line);
    }, ms);
    this.ticker.unref();
  }

  stop(): void {
    clearInterval(this.ticker);
  }
}
