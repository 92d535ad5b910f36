import { Controller, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@baton/platform';
import { SetErrorCode, SetRefusal } from '@baton/oauth';
import { SetIntake } from '@baton/workflow';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/** SPEC §10.2: SETs over 64 KiB answer 413. */
export const MAX_SET_BYTES = 64 * 1024;
const SET_CONTENT_TYPE = 'application/secevent+jwt';
const BEARER = /^Bearer +([\x21-\x7e]+)$/;

/**
 * RFC 8935 push delivery (SPEC §10.2): `POST /v1/ssf/events` with a compact SET. No user token:
 * the SET's signature authenticates it, and a transmitter with `authorizationEnv` must also send
 * that bearer. Answers are RFC 8935's own (`202` empty, `400 {err, description}`, `401
 * {err: authentication_failed}`), not problem+json; the only 5xx is 503 when Postgres is down.
 * Left out of the OpenAPI document: transmitters speak RFC 8935, not Baton's client API.
 */
@ApiExcludeController()
@Public()
@Controller('v1/ssf')
export class SsfEventsController {
  private readonly logger = new Logger(SsfEventsController.name);

  constructor(private readonly intake: SetIntake) {}

  @Post('events')
  async receive(@Req() request: Request, @Res() response: Response): Promise<void> {
    const declared = Number(request.headers['content-length'] ?? '0');
    if (declared > MAX_SET_BYTES) return tooLarge(response);
    const body = await readBody(request);
    if (body === null) return tooLarge(response);

    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const expected = this.intake.expectedBearer(body);
    const required = expected.claimed ? (expected.bearer ? [expected.bearer] : null) : this.intake.pushBearers();
    if (required && !(presented && required.some((bearer) => sameSecret(presented, bearer)))) {
      response.status(401).json({ err: 'authentication_failed', description: 'a valid bearer token is required' });
      return;
    }
    const essence = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (essence !== SET_CONTENT_TYPE) {
      refuse(response, new SetRefusal(SetErrorCode.InvalidRequest, `the body must be ${SET_CONTENT_TYPE}`));
      return;
    }
    try {
      await this.intake.accept(body.trim(), 'push');
      response.status(202).end();
    } catch (error) {
      if (error instanceof SetRefusal) return refuse(response, error);
      this.logger.error({ err: error }, 'could not record a security event; the transmitter will retry');
      response.status(503).setHeader('retry-after', '5').json({ err: 'temporarily_unavailable' });
    }
  }
}

function refuse(response: Response, refusal: SetRefusal): void {
  response.status(400).json({ err: refusal.err, description: refusal.description });
}

function tooLarge(response: Response): void {
  response
    .status(413)
    .setHeader('connection', 'close')
    .json({ err: SetErrorCode.InvalidRequest, description: `the SET exceeds ${MAX_SET_BYTES} bytes` });
}

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
function sameSecret(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The raw body as text, or null beyond the cap. */
async function readBody(request: Request): Promise<string | null> {
  // No body parser runs on this path (body-parsing.ts), so the stream is still unread.
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_SET_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
