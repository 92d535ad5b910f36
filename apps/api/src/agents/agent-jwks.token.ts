/** Injection token of the actor tokens' public JWKS. */
export const AGENT_JWKS = Symbol('AGENT_JWKS');
