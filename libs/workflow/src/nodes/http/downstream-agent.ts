import { Agent } from 'undici';

/**
 * One keep-alive connection pool per process for every downstream call: a warm step reuses a
 * socket instead of paying a TCP (and TLS) handshake, and nothing is allocated per call but the
 * request itself.
 */
export const DOWNSTREAM_AGENT_OPTIONS: Agent.Options = {
  keepAliveTimeout: 10_000,
  keepAliveMaxTimeout: 60_000,
  connections: 256,
};

/** For callers that bring no guarded agent of their own (the worker always does: see NodeExecutor). */
export const downstreamAgent = new Agent(DOWNSTREAM_AGENT_OPTIONS);
