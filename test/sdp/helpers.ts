/** Builds SDP text from lines with CRLF endings, as the directory stores it. */
export function sdp(...lines: string[]): string {
  return lines.map((l) => `${l}\r\n`).join('');
}

/** A small valid conference used as the base of many cases. */
export const BASE = [
  'v=0',
  'o=alice 3456462469 1 IN IP4 host.example.com',
  's=Weekly Sync',
  'i=Team meeting',
  'c=IN IP4 239.255.10.1/15',
  't=3456462448 3456464248',
  'm=audio 49170 RTP/AVP 0',
] as const;

/** BASE with line `index` (0-based) replaced, or removed when `line` is undefined. */
export function baseWith(index: number, line?: string): string[] {
  const lines: string[] = [...BASE];
  if (line === undefined) lines.splice(index, 1);
  else lines[index] = line;
  return lines;
}
