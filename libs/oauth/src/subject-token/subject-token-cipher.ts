import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SubjectTokenCipherError } from './subject-token-cipher-error.js';

export interface SubjectTokenCipherOptions {
  /** `BATON_ENCRYPTION_KEY`: 32 bytes. New seals use it. */
  key: Buffer;
  /** Keys rotated out, still accepted by `open` for tokens sealed before the rotation. */
  previousKeys?: Buffer[];
}

/** A subject token as stored: `iv (12) | tag (16) | ciphertext`, and the id of the key that sealed it. */
export interface SealedSubjectToken {
  ciphertext: Buffer;
  keyId: string;
}

/**
 * What a sealed token is bound to (issue 10 item 6): the run it belongs to and its user. It is the
 * AES-GCM associated data, so a ciphertext copied to another run's row (or another user's) fails
 * authentication instead of lending that run someone else's token.
 */
export interface SubjectTokenBinding {
  runId: string;
  issuer: string;
  subject: string;
}

function associatedData(binding: SubjectTokenBinding): Buffer {
  return Buffer.from(
    JSON.stringify(['baton-subject-token/v1', binding.runId, binding.issuer, binding.subject]),
    'utf8',
  );
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

/**
 * Encrypts users' subject tokens at rest (SPEC §4): AES-256-GCM, a random 96-bit IV per seal.
 * Each sealed token names its key by id (the first 16 hex digits of the key's SHA-256), so after
 * a key rotation tokens sealed with a previous key still open, and rows still on an old key can be
 * found (`keyId !== cipher.keyId`) and re-sealed.
 */
export class SubjectTokenCipher {
  /** Id of the current key, the one `seal` uses. */
  readonly keyId: string;
  private readonly key: Buffer;
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(options: SubjectTokenCipherOptions) {
    this.key = checkedKey(options.key, 'key');
    this.keyId = SubjectTokenCipher.keyIdOf(this.key);
    const keys = new Map<string, Buffer>([[this.keyId, this.key]]);
    (options.previousKeys ?? []).forEach((previous, index) => {
      const key = checkedKey(previous, `previousKeys[${index}]`);
      const id = SubjectTokenCipher.keyIdOf(key);
      if (!keys.has(id)) keys.set(id, key);
    });
    this.keys = keys;
  }

  /** The id a key's sealed tokens carry: first 16 hex digits of its SHA-256. */
  static keyIdOf(key: Buffer): string {
    return createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  seal(token: string, binding: SubjectTokenBinding): SealedSubjectToken {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(binding));
    const encrypted = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return { ciphertext: Buffer.concat([iv, cipher.getAuthTag(), encrypted]), keyId: this.keyId };
  }

  open(sealed: SealedSubjectToken, binding: SubjectTokenBinding): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new SubjectTokenCipherError('unknown_key', 'subject token was sealed with an unknown key');
    const data = sealed.ciphertext;
    if (!Buffer.isBuffer(data) || data.length < IV_BYTES + TAG_BYTES) {
      throw new SubjectTokenCipherError('malformed', 'sealed subject token is malformed');
    }
    const decipher = createDecipheriv(ALGORITHM, key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(data.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    decipher.setAAD(associatedData(binding));
    try {
      return Buffer.concat([decipher.update(data.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      // Node's error carries no token material, but it adds nothing either: leave it out.
      throw new SubjectTokenCipherError('authentication_failed', 'sealed subject token failed authentication');
    }
  }
}

function checkedKey(key: Buffer, name: string): Buffer {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new RangeError(`${name} must be ${KEY_BYTES} bytes`);
  }
  // A private copy: a caller zeroing or reusing its buffer must not change ours.
  return Buffer.from(key);
}
