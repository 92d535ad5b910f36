import { describe, expect, it } from '@jest/globals';
import { childRunId, uuidV5 } from './child-run-id.js';

describe('childRunId', () => {
  const parent = '0b6f3f5e-8d4e-4d7e-9a0b-6a3c2e1f4d5a';

  it('matches the RFC 9562 UUIDv5 test vector (DNS namespace, www.example.com)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('is the same for the same parent attempt, whoever computes it', () => {
    expect(childRunId(parent, 'research', 1)).toBe(childRunId(parent, 'research', 1));
  });

  it('differs by parent run, node and attempt', () => {
    const ids = new Set([
      childRunId(parent, 'research', 1),
      childRunId(parent, 'research', 2),
      childRunId(parent, 'review', 1),
      childRunId('1b6f3f5e-8d4e-4d7e-9a0b-6a3c2e1f4d5a', 'research', 1),
    ]);
    expect(ids.size).toBe(4);
  });

  it('is a version 5, RFC 4122 variant UUID', () => {
    expect(childRunId(parent, 'a', 1)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
