import type { ApiBodyOptions } from '@nestjs/swagger';
import { componentRef } from '@baton/workflow';

/** The OpenAPI schema object type (not exported from @nestjs/swagger's root). */
export type SchemaObject = Extract<ApiBodyOptions, { schema: unknown }>['schema'];

/** A `$ref` to a named component (see useOpenApi; the views' components come from their zod schemas). */
export const refTo = (name: string): SchemaObject => componentRef(name) as SchemaObject;
