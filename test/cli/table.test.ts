/**
 * The width text takes in a terminal, which the listings align their columns by: CJK and
 * emoji take two columns (a ZWJ sequence is one emoji), combining marks none.
 */
import { describe, expect, it } from 'vitest';
import { displayWidth, formatTable } from '../../src/cli/table.js';

describe('displayWidth', () => {
  it.each([
    ['plain', 5],
    ['会議', 4],
    ['한국어', 6],
    ['ｆｕｌｌ', 8],
    ['🎉 party', 8],
    ['👩‍💻', 2],
    ['☺️', 2],
    ['☺', 1],
    ['e\u0301', 1],
    ['Réunion', 7],
    ['', 0],
  ])('%s takes %i columns', (text, width) => {
    expect(displayWidth(text)).toBe(width);
  });
});

describe('formatTable', () => {
  it('starts each column at the same terminal column on every row', () => {
    const table = formatTable(['NAME', 'START'], [['会議室の予定', '10:00'], ['🎉 party', '11:00'], ['plain', '12:00']]);
    expect(table.split('\n')).toEqual(['NAME          START', '会議室の予定  10:00', '🎉 party      11:00', 'plain         12:00']);
  });
});
