/** The members of a transmitter's SSF 1.0 configuration metadata (§7.1) that Baton uses. */
export interface SsfMetadata {
  issuer?: string;
  jwks_uri?: string;
  configuration_endpoint?: string;
  [member: string]: unknown;
}

/** The metadata could not be had or does not fit the transmitter; `message` never holds a secret. */
export class SsfMetadataUnavailable extends Error {}

/**
 * Fetches `/.well-known/ssf-configuration` (or the configured `metadataUrl`) once. The one discovery
 * of the SSF code: the SET verifier takes `jwks_uri` from it, the stream registrar `configuration_endpoint`.
 */
export async function fetchSsfMetadata(
  transmitter: { issuer: string; metadataUrl: string },
  timeoutMs: number,
): Promise<SsfMetadata> {
  const response = await fetch(transmitter.metadataUrl, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'error',
  });
  if (!response.ok) throw new SsfMetadataUnavailable(`the SSF metadata answered ${response.status}`);
  const metadata = (await response.json()) as unknown;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    throw new SsfMetadataUnavailable('the SSF metadata is not a JSON object');
  const { issuer } = metadata as SsfMetadata;
  if (issuer !== undefined && issuer !== transmitter.issuer)
    throw new SsfMetadataUnavailable('the SSF metadata names another issuer');
  return metadata as SsfMetadata;
}
