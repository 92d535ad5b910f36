import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { SubjectTokenCipher } from './subject-token-cipher.js';
import { SubjectTokenCipherError } from './subject-token-cipher-error.js';

const BINDING = { runId: '11111111-1111-4111-8111-111111111111', issuer: 'https://idp.example.com', subject: 'alice' };
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const key = (fill: number): Buffer => Buffer.alloc(32, fill);

function failure(action: () => unknown): SubjectTokenCipherError {
  try {
    action();
  } catch (err) {
    expect(err).toBeInstanceOf(SubjectTokenCipherError);
    return err as SubjectTokenCipherError;
  }
  throw new Error('expected a SubjectTokenCipherError');
}

describe('SubjectTokenCipher', () => {
  it('opens what it sealed', () => {
    const cipher = new SubjectTokenCipher({ key: randomBytes(32) });
    const sealed = cipher.seal(TOKEN, BINDING);
    expect(cipher.open(sealed, BINDING)).toBe(TOKEN);
    expect(cipher.open(cipher.seal('', BINDING), BINDING)).toBe('');
    expect(cipher.open(cipher.seal('ünïcødé ✓', BINDING), BINDING)).toBe('ünïcødé ✓');
  });

  it('lays out iv | tag | ciphertext and never holds the token in clear', () => {
    const sealed = new SubjectTokenCipher({ key: key(1) }).seal(TOKEN, BINDING);
    expect(sealed.ciphertext.length).toBe(12 + 16 + Buffer.byteLength(TOKEN));
    expect(sealed.ciphertext.toString('latin1')).not.toContain('eyJ');
  });

  it('names the key by the first 16 hex digits of its SHA-256', () => {
    const cipher = new SubjectTokenCipher({ key: key(1) });
    const expected = createHash('sha256').update(key(1)).digest('hex').slice(0, 16);
    expect(cipher.keyId).toBe(expected);
    expect(SubjectTokenCipher.keyIdOf(key(1))).toBe(expected);
    expect(cipher.seal(TOKEN, BINDING).keyId).toBe(expected);
  });

  it('uses a fresh IV for every seal', () => {
    const cipher = new SubjectTokenCipher({ key: key(1) });
    const a = cipher.seal(TOKEN, BINDING);
    const b = cipher.seal(TOKEN, BINDING);
    expect(a.ciphertext.subarray(0, 12).equals(b.ciphertext.subarray(0, 12))).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
  });

  it.each([
    ['the IV', 0],
    ['the tag', 12],
    ['the ciphertext', 28],
    ['the last byte', -1],
  ])('detects a change to %s', (_part, offset) => {
    const cipher = new SubjectTokenCipher({ key: key(1) });
    const sealed = cipher.seal(TOKEN, BINDING);
    const altered = Buffer.from(sealed.ciphertext);
    const at = offset < 0 ? altered.length + offset : offset;
    altered[at] = altered[at]! ^ 0x01;
    const error = failure(() => cipher.open({ ...sealed, ciphertext: altered }, BINDING));
    expect(error.code).toBe('authentication_failed');
    expect(error.message).not.toContain(TOKEN);
  });

  it('detects truncation and refuses what is too short to be sealed', () => {
    const cipher = new SubjectTokenCipher({ key: key(1) });
    const sealed = cipher.seal(TOKEN, BINDING);
    expect(failure(() => cipher.open({ ...sealed, ciphertext: sealed.ciphertext.subarray(0, -1) }, BINDING)).code).toBe(
      'authentication_failed',
    );
    expect(failure(() => cipher.open({ ...sealed, ciphertext: sealed.ciphertext.subarray(0, 27) }, BINDING)).code).toBe(
      'malformed',
    );
  });

  it('refuses a token sealed with a key it does not hold', () => {
    const sealed = new SubjectTokenCipher({ key: key(1) }).seal(TOKEN, BINDING);
    const error = failure(() => new SubjectTokenCipher({ key: key(2) }).open(sealed, BINDING));
    expect(error.code).toBe('unknown_key');
    expect(error.message).not.toContain(TOKEN);
  });

  it('refuses a wrong key presented under the right id', () => {
    const sealed = new SubjectTokenCipher({ key: key(1) }).seal(TOKEN, BINDING);
    const other = new SubjectTokenCipher({ key: key(2) });
    expect(failure(() => other.open({ ...sealed, keyId: other.keyId }, BINDING)).code).toBe('authentication_failed');
  });

  it('opens tokens sealed with a previous key after a rotation, and seals with the new one', () => {
    const before = new SubjectTokenCipher({ key: key(1) });
    const sealedBefore = before.seal(TOKEN, BINDING);
    const after = new SubjectTokenCipher({ key: key(2), previousKeys: [key(3), key(1)] });

    expect(after.open(sealedBefore, BINDING)).toBe(TOKEN);
    const sealedAfter = after.seal(TOKEN, BINDING);
    expect(sealedAfter.keyId).toBe(SubjectTokenCipher.keyIdOf(key(2)));
    expect(sealedAfter.keyId).not.toBe(sealedBefore.keyId);
    expect(after.open(sealedAfter, BINDING)).toBe(TOKEN);
    // The old deployment cannot read what the new key sealed.
    expect(failure(() => before.open(sealedAfter, BINDING)).code).toBe('unknown_key');
  });

  it('keeps its own copy of the key', () => {
    const mutable = key(1);
    const cipher = new SubjectTokenCipher({ key: mutable });
    const sealed = cipher.seal(TOKEN, BINDING);
    mutable.fill(0);
    expect(cipher.open(sealed, BINDING)).toBe(TOKEN);
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => new SubjectTokenCipher({ key: Buffer.alloc(16) })).toThrow(RangeError);
    expect(() => new SubjectTokenCipher({ key: key(1), previousKeys: [Buffer.alloc(31)] })).toThrow(
      'previousKeys[0] must be 32 bytes',
    );
  });

  it('item 6: binds the ciphertext to its run and user (AES-GCM associated data)', () => {
    const cipher = new SubjectTokenCipher({ key: key(1) });
    const sealed = cipher.seal(TOKEN, BINDING);
    for (const other of [
      { ...BINDING, runId: '22222222-2222-4222-8222-222222222222' },
      { ...BINDING, issuer: 'https://other.example.com' },
      { ...BINDING, subject: 'bob' },
    ]) {
      expect(failure(() => cipher.open(sealed, other)).code).toBe('authentication_failed');
    }
    expect(cipher.open(sealed, { ...BINDING })).toBe(TOKEN);
  });

  it('item 6: opens rows sealed with a previous key after rotation, and seals with the new one', () => {
    const before = new SubjectTokenCipher({ key: key(1) });
    const sealed = before.seal(TOKEN, BINDING);
    const after = new SubjectTokenCipher({ key: key(2), previousKeys: [key(1)] });
    expect(after.open(sealed, BINDING)).toBe(TOKEN);
    expect(after.seal(TOKEN, BINDING).keyId).toBe(SubjectTokenCipher.keyIdOf(key(2)));
    expect(sealed.keyId).toBe(SubjectTokenCipher.keyIdOf(key(1)));
  });
});
