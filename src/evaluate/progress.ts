/** A one-line progress bar on stderr, only when stderr is a terminal (never in logs or CI output). */
export type ProgressFn = (done: number, total: number, fromCache: number) => void;

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now, skippedLabel = 'from cache'): ProgressFn | undefined {
  if (!stream.isTTY) return undefined;
  const start = now();
  let last = 0;
  return (done, total, fromCache) => {
    const t = now();
    if (done < total && t - last < 100) return;
    last = t;
    const width = 30;
    const filled = Math.round((done / Math.max(1, total)) * width);
    const rate = (done - fromCache) / Math.max(0.001, (t - start) / 1000);
    const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} images, ${fromCache} ${skippedLabel}, ${rate.toFixed(1)} img/s, ETA ${eta} s `);
    if (done >= total) stream.write('\n');
  };
}
