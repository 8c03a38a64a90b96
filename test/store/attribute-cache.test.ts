/**
 * The parsed-attribute cache of the store: reuse while the stored bytes are the same, a fresh
 * decode when they changed (even within one millisecond), immutability, and its memory bound.
 */
import { describe, expect, it } from 'vitest';
import { AttributeCache } from '../../src/store/attribute-cache.js';
import { bytesOf, standInEncoding } from './stand-in-encoding.js';

const cacheOf = (maxSize?: number): AttributeCache => new AttributeCache(standInEncoding().decode, maxSize);

describe('AttributeCache', () => {
  it('returns the same frozen map while the stored bytes are unchanged', () => {
    const cache = cacheOf();
    const first = cache.get(1, bytesOf({ cn: ['a'], uid: ['x'] }));
    expect(cache.get(1, bytesOf({ cn: ['a'], uid: ['x'] }))).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.cn)).toBe(true);
    expect(() => {
      (first.cn as string[]).push('b');
    }).toThrow(TypeError);
  });

  it('decodes again when the bytes changed, and keeps entries apart by id', () => {
    const cache = cacheOf();
    const before = cache.get(1, bytesOf({ cn: ['a'] }));
    const after = cache.get(1, bytesOf({ cn: ['b'] }));
    expect(after).not.toBe(before);
    expect(after.cn).toEqual(['b']);
    expect(cache.get(2, bytesOf({ cn: ['a'] }))).not.toBe(before);
  });

  it('forgets a deleted entry', () => {
    const cache = cacheOf();
    const first = cache.get(7, bytesOf({ cn: ['a'] }));
    cache.forget(7);
    expect(cache.get(7, bytesOf({ cn: ['a'] }))).not.toBe(first);
  });

  it('holds at most its bound of bytes, dropping the least recently used', () => {
    const bytes = (n: number): Buffer => bytesOf({ cn: [String(n).padStart(10, '0')] });
    const size = bytes(0).length;
    const cache = cacheOf(size * 3);
    const kept = [0, 1, 2].map((n) => cache.get(n, bytes(n)));
    cache.get(0, bytes(0)); // 0 is now the most recent; 1 is the oldest
    cache.get(3, bytes(3));
    expect(cache.get(0, bytes(0))).toBe(kept[0]);
    expect(cache.get(2, bytes(2))).toBe(kept[2]);
    expect(cache.get(1, bytes(1))).not.toBe(kept[1]);
  });
});
