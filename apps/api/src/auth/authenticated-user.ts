import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Caller } from '@baton/platform';
import type { Request } from 'express';

/** The verified caller (the services' Caller) and the bearer token itself. */
export interface AuthenticatedUser extends Caller {
  /** The raw bearer token: kept only on the request, because starting a run stores it (encrypted). */
  token: string;
}

export type AuthenticatedRequest = Request & { user?: AuthenticatedUser };

/** Injects the caller verified by BearerAuthGuard. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthenticatedUser => {
  const user = ctx.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) throw new Error('CurrentUser used on a route without BearerAuthGuard');
  return user;
});
