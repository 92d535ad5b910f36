import { describe, expect, it } from '@jest/globals';
import { queueWaitSeconds } from './queue-wait.js';

describe('queueWaitSeconds', () => {
  it('counts from creation for an immediate job, from the end of the delay for a delayed one', () => {
    expect(queueWaitSeconds({ timestamp: 1000, processedOn: 1250 }, 9999)).toBe(0.25);
    expect(queueWaitSeconds({ timestamp: 1000, delay: 500, processedOn: 1750 }, 9999)).toBe(0.25);
    expect(queueWaitSeconds({ timestamp: 1000, opts: { delay: 500 }, processedOn: 1600 }, 9999)).toBe(0.1);
  });

  it('uses now when BullMQ has not stamped processedOn, and is never negative', () => {
    expect(queueWaitSeconds({ timestamp: 1000 }, 3000)).toBe(2);
    expect(queueWaitSeconds({ timestamp: 5000, processedOn: 4000 }, 0)).toBe(0);
  });
});
