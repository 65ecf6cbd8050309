/** Run ids: sortable by time, unique enough for one machine. */
import { randomBytes } from 'node:crypto';

/** A new run id like 20261129-031502-a3f9. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}
