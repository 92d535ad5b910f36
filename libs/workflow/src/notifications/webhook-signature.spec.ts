import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature } from './webhook-signature.js';

describe('webhook signature', () => {
  const body = '{"type":"escalation.opened"}';

  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', 's3cret').update(`1700000000.${body}`).digest('hex');
    expect(signWebhook('s3cret', body, 1700000000)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies its own signatures and refuses altered bodies, other secrets and stale timestamps', () => {
    const now = 1700000000_000;
    const header = signWebhook('s3cret', body, 1700000000);
    expect(verifyWebhookSignature('s3cret', body, header, 300, now)).toBe(true);
    expect(verifyWebhookSignature('s3cret', body + ' ', header, 300, now)).toBe(false);
    expect(verifyWebhookSignature('other', body, header, 300, now)).toBe(false);
    expect(verifyWebhookSignature('s3cret', body, header, 300, now + 301_000)).toBe(false);
    expect(verifyWebhookSignature('s3cret', body, 'garbage', 300, now)).toBe(false);
  });
});
