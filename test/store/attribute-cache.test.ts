/**
 * The parsed-attribute cache of the store: reuse while the stored text is the same, a fresh
 * parse when it changed (even within one millisecond), immutability, and its memory bound.
 */
import { describe, expect, it } from 'vitest';
import { AttributeCache } from '../../src/store/attribute-cache.js';

describe('AttributeCache', () => {
  it('returns the same frozen map while the stored text is unchanged', () => {
    const cache = new AttributeCache();
    const text = JSON.stringify({ cn: ['a'], uid: ['x'] });
    const first = cache.get(1, text);
    expect(cache.get(1, `${text}`)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.cn)).toBe(true);
    expect(() => {
      (first.cn as string[]).push('b');
    }).toThrow(TypeError);
  });

  it('parses again when the text changed, and keeps entries apart by id', () => {
    const cache = new AttributeCache();
    const before = cache.get(1, '{"cn":["a"]}');
    const after = cache.get(1, '{"cn":["b"]}');
    expect(after).not.toBe(before);
    expect(after.cn).toEqual(['b']);
    expect(cache.get(2, '{"cn":["a"]}')).not.toBe(before);
  });

  it('forgets a deleted entry', () => {
    const cache = new AttributeCache();
    const text = '{"cn":["a"]}';
    const first = cache.get(7, text);
    cache.forget(7);
    expect(cache.get(7, text)).not.toBe(first);
  });

  it('holds at most its bound of text, dropping the least recently used', () => {
    const text = (n: number): string => JSON.stringify({ cn: [String(n).padStart(10, '0')] });
    const size = text(0).length;
    const cache = new AttributeCache(size * 3);
    const kept = [0, 1, 2].map((n) => cache.get(n, text(n)));
    cache.get(0, text(0)); // 0 is now the most recent; 1 is the oldest
    cache.get(3, text(3));
    expect(cache.get(0, text(0))).toBe(kept[0]);
    expect(cache.get(2, text(2))).toBe(kept[2]);
    expect(cache.get(1, text(1))).not.toBe(kept[1]);
  });
});
