/**
 * Minimal typings for the parts of `oidc-provider` 9 this dev server uses.
 *
 * `oidc-provider` ships no type declarations and `@types/oidc-provider` is not installed, so under
 * `strict` an import of it would not type-check. If `@types/oidc-provider` is ever added, delete
 * this file (names below follow that package, so the code should compile against it unchanged).
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type UnknownObject = Record<string, unknown>;

  export interface ClientMetadata {
    client_id: string;
    [key: string]: unknown;
  }

  export interface Configuration {
    clients?: ClientMetadata[];
    jwks?: { keys: UnknownObject[] };
    [key: string]: unknown;
  }

  export interface Client {
    readonly clientId: string;
  }

  export interface OIDCContext {
    readonly client?: Client;
    /** Request parameters after oidc-provider's allow-listing; repeated ones become arrays. */
    readonly params?: Record<string, string | string[] | undefined>;
  }

  /** The Koa context oidc-provider hands to grant type handlers. */
  export interface KoaContextWithOIDC {
    readonly oidc: OIDCContext;
    body: unknown;
  }

  export type TokenExchangeHandler = (ctx: KoaContextWithOIDC) => Promise<void> | void;

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly Client: { find(clientId: string): Promise<Client | undefined> };
    registerGrantType(
      name: string,
      handler: TokenExchangeHandler,
      parameters?: string | string[] | Set<string>,
      allowedDuplicateParameters?: string | string[] | Set<string>,
    ): void;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    /** Koa middleware around every request (oidc-provider's own stack runs inside `next`). */
    use<C>(middleware: (ctx: C, next: () => Promise<void>) => Promise<void>): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: UnknownObject,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    readonly Grant: GrantStatic;
  }

  export interface InteractionDetails {
    readonly uid: string;
    readonly prompt: { name: string; reasons: string[]; details: UnknownObject };
    readonly params: UnknownObject;
    readonly grantId?: string;
  }

  export interface Grant {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface GrantStatic {
    new (properties: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  }

  export default Provider;

  export namespace errors {
    class OIDCProviderError extends Error {
      status: number;
      statusCode: number;
      error: string;
      error_description?: string;
      error_detail?: string;
      expose: boolean;
    }
    class InvalidGrant extends OIDCProviderError {
      constructor(detail?: string);
    }
    class InvalidScope extends OIDCProviderError {
      constructor(description: string, scope?: string);
    }
    class InvalidRequest extends OIDCProviderError {
      constructor(description?: string, status?: number);
    }
    class InvalidTarget extends OIDCProviderError {
      constructor(description?: string);
    }
  }
}
