import type { ExchangeProfile } from '@baton/platform';
import type { JWK } from 'jose';
import { ActorTokenSigner } from './actor-token-signer.js';

/**
 * The public keys of every profile's actor tokens, current and retired (SPEC §9.3), for
 * `GET /.well-known/jwks.json`. A key shared by several profiles is listed once.
 */
export async function actorPublicJwks(profiles: Record<string, ExchangeProfile>): Promise<{ keys: JWK[] }> {
  const byKid = new Map<string, JWK>();
  for (const [name, profile] of Object.entries(profiles)) {
    if (!profile.actor) continue;
    const signer = await ActorTokenSigner.create(profile.actor, `exchangeProfiles.${name}.actor`);
    for (const key of signer.publicKeys()) if (!byKid.has(key.kid!)) byKid.set(key.kid!, key);
  }
  return { keys: [...byKid.values()] };
}
