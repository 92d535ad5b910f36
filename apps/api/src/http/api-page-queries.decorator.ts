import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';

/** `limit` and `cursor`, taken by every list (SPEC §7). */
export const ApiPageQueries = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } }),
    ApiQuery({
      name: 'cursor',
      required: false,
      description: 'nextCursor of the previous page',
      schema: { type: 'string' },
    }),
  );
