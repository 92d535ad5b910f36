import { describe, expect, it } from '@jest/globals';
import { carryOpenedToken, openedSubjectToken, type ClaimedNode } from './claimed-node.js';

const claim = (runId: string, ciphertext: string | null): ClaimedNode => ({
  runId,
  nodeId: 'n',
  attempt: 1,
  run: {
    tenant: 'default',
    workflowName: 'w',
    workflowVersion: 1,
    agentId: null,
    input: {},
    userIss: 'iss',
    userSub: 'sub',
    userScopes: [],
    subjectToken: ciphertext === null ? null : { ciphertext: Buffer.from(ciphertext), keyId: 'k1' },
    subjectTokenExpiresAt: null,
    traceparent: null,
  },
  outputs: {},
});

describe('a chain opens its subject token once', () => {
  const opener = () => {
    const opened: string[] = [];
    const open = (sealed: { ciphertext: Buffer }) => {
      const token = `token-of-${sealed.ciphertext.toString()}`;
      opened.push(token);
      return { token, digest: `digest-of-${token}` };
    };
    return { opened, open };
  };

  it('opens on the first step and reuses it on the next step of the same run while the ciphertext is the same', () => {
    const { opened, open } = opener();
    const first = claim('r1', 'sealed-a');
    expect(openedSubjectToken(first, open)).toMatchObject({
      token: 'token-of-sealed-a',
      digest: 'digest-of-token-of-sealed-a',
    });
    const second = claim('r1', 'sealed-a'); // a new Buffer with the same bytes, as pg hands it over
    carryOpenedToken(first, second);
    expect(openedSubjectToken(second, open).token).toBe('token-of-sealed-a');
    expect(opened).toEqual(['token-of-sealed-a']);
  });

  it('opens again when the stored ciphertext changed (a resume sealed a new token)', () => {
    const { opened, open } = opener();
    const first = claim('r1', 'sealed-a');
    openedSubjectToken(first, open);
    const resumed = claim('r1', 'sealed-b');
    carryOpenedToken(first, resumed);
    expect(openedSubjectToken(resumed, open).token).toBe('token-of-sealed-b');
    expect(opened).toEqual(['token-of-sealed-a', 'token-of-sealed-b']);
  });

  it('carries nothing to another run, and refuses a claim whose token was deleted', () => {
    const { open } = opener();
    const first = claim('r1', 'sealed-a');
    openedSubjectToken(first, open);
    const other = claim('r2', 'sealed-a');
    carryOpenedToken(first, other);
    expect(other.opened).toBeUndefined();
    const revoked = claim('r1', null);
    carryOpenedToken(first, revoked);
    expect(() => openedSubjectToken(revoked, open)).toThrow(/no stored subject token/);
  });
});
