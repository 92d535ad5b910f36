import { describe, expect, it } from '@jest/globals';
import { RevocationRegistry } from './revocation-registry.js';

describe('RevocationRegistry', () => {
  it('revokes what was issued for a subject before the revocation, not after', () => {
    const registry = new RevocationRegistry();
    const exp = Math.floor(Date.now() / 1000) + 600;
    registry.recordIssued('u', 'j1', exp);
    registry.recordIssued('other', 'j2', exp);
    expect(registry.revokeSubject('u')).toBe(1);
    registry.recordIssued('u', 'j3', exp);
    expect(registry.isRevoked('j1')).toBe(true);
    expect(registry.isRevoked('j2')).toBe(false);
    expect(registry.isRevoked('j3')).toBe(false);
    expect(registry.isRevoked(undefined)).toBe(false);
  });

  it('revokes one token by jti (RFC 7009), leaving the other tokens of the subject alone', () => {
    const registry = new RevocationRegistry();
    const exp = Math.floor(Date.now() / 1000) + 600;
    registry.recordIssued('u', 'j1', exp);
    registry.recordIssued('u', 'j2', exp);
    registry.revokeToken('j1', exp);
    expect(registry.isRevoked('j1')).toBe(true);
    expect(registry.isRevoked('j2')).toBe(false);
  });
});
