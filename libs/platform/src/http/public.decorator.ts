import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'baton:public';

/** Marks a route (or controller) that needs no bearer token: health, metrics, docs. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
