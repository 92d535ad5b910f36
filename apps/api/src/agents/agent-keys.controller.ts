import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@baton/platform';
import type { JWK } from 'jose';
import { AGENT_JWKS } from './agent-jwks.token.js';

/** `GET /.well-known/jwks.json` (SPEC §9.3): the public keys of Baton's actor tokens, without authentication. */
@ApiExcludeController()
@Public()
@Controller('.well-known')
export class AgentKeysController {
  constructor(@Inject(AGENT_JWKS) private readonly jwks: { keys: JWK[] }) {}

  @Get('jwks.json')
  @Header('content-type', 'application/jwk-set+json')
  @Header('cache-control', 'public, max-age=300')
  keys(): { keys: JWK[] } {
    return this.jwks;
  }
}
