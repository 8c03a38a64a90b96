/**
 * Presentation helpers shared by commands.
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** A time in the local time zone with its UTC offset: `2026-11-24 14:30:00 +01:00`. */
export function formatLocalTime(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** Label/value rows aligned in two columns; continuation rows have an empty label. */
export function formatRows(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`.trimEnd()).join('\n');
}

/** JSON with `Date`s as ISO strings and two-space indentation. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
