/** A one-line progress display on stderr (a bar when the total is known); silent when stderr is not a TTY. */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  constructor(private readonly label: string) {}

  update(done: number, total?: number, note = ''): void {
    if (!this.tty) return;
    let text = `${this.label} `;
    if (total && total > 0) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      text += `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round((done / total) * 100)}%`;
    }
    process.stderr.write(`\r${text} ${note}`.padEnd(80).slice(0, 100));
  }

  done(message: string): void {
    if (this.tty) process.stderr.write('\r'.padEnd(81) + '\r');
    process.stderr.write(message + '\n');
  }
}
