import { describe, expect, it } from '@jest/globals';
import { ScrapeCache } from './scrape-cache.js';

describe('ScrapeCache', () => {
  it('reads once per ttl, however many scrapes come', async () => {
    let clock = 0;
    let reads = 0;
    const cache = new ScrapeCache(async () => ++reads, 0, { ttlMs: 5000, waitMs: 1000, now: () => clock });
    expect(await cache.get()).toBe(1);
    expect(await Promise.all([cache.get(), cache.get(), cache.get()])).toEqual([1, 1, 1]);
    clock = 4999;
    expect(await cache.get()).toBe(1);
    clock = 5000;
    expect(await cache.get()).toBe(2);
    expect(reads).toBe(2);
  });

  it('shares one read in flight between concurrent scrapes', async () => {
    let reads = 0;
    let release!: () => void;
    const gate = new Promise<void>((done) => (release = done));
    const cache = new ScrapeCache(
      async () => {
        reads++;
        await gate;
        return 'fresh';
      },
      'initial',
      { ttlMs: 5000, waitMs: 60_000 },
    );
    const scrapes = [cache.get(), cache.get()];
    release();
    expect(await Promise.all(scrapes)).toEqual(['fresh', 'fresh']);
    expect(reads).toBe(1);
  });

  it('answers the last value when the store fails, and when it is slower than waitMs', async () => {
    let fail = false;
    let hang = false;
    let n = 0;
    let clock = 0;
    const cache = new ScrapeCache(
      () => {
        if (hang) return new Promise<number>(() => {});
        return fail ? Promise.reject(new Error('down')) : Promise.resolve(++n);
      },
      0,
      { ttlMs: 10, waitMs: 5, now: () => clock },
    );
    expect(await cache.get()).toBe(1);
    fail = true;
    clock = 100;
    expect(await cache.get()).toBe(1);
    fail = false;
    hang = true;
    clock = 200;
    expect(await cache.get()).toBe(1);
  });
});
