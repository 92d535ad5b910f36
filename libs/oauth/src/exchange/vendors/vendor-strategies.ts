import type { ExchangeVendor } from '@baton/platform';
import { auth0Strategy } from './auth0.strategy.js';
import { entraStrategy } from './entra.strategy.js';
import { genericStrategy } from './generic.strategy.js';
import { googleStrategy } from './google.strategy.js';
import { keycloakStrategy } from './keycloak.strategy.js';
import { oktaStrategy } from './okta.strategy.js';
import type { VendorStrategy } from './vendor-strategy.js';

const STRATEGIES: Readonly<Record<ExchangeVendor, VendorStrategy>> = {
  generic: genericStrategy,
  keycloak: keycloakStrategy,
  okta: oktaStrategy,
  auth0: auth0Strategy,
  entra: entraStrategy,
  google: googleStrategy,
};

/** The strategy of a profile's `vendor` (SPEC §9.1); `generic` when none is set. */
export function vendorStrategy(vendor: ExchangeVendor | undefined): VendorStrategy {
  return STRATEGIES[vendor ?? 'generic'];
}
