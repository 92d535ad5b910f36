import { describe, expect, it } from '@jest/globals';
import { isDependencyUnavailable, isTransientConflict } from './dependency-unavailable.js';

describe('isDependencyUnavailable (issue 10 item 14)', () => {
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it.each([
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a reset connection', withCode('ECONNRESET')],
    ['an AggregateError of refusals', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], '')],
    [
      'TypeORM wrapping a refusal',
      Object.assign(new Error('q'), { name: 'QueryFailedError', driverError: withCode('ECONNREFUSED') }),
    ],
    ['a released query runner', new Error('Query runner already released. Cannot run queries anymore.')],
    [
      'TypeORM 1.x released runner',
      Object.assign(
        new Error(
          'Database connection provided by a query runner was already released, cannot continue to use its querying methods anymore.',
        ),
        { name: 'QueryRunnerProviderAlreadyReleasedError' },
      ),
    ],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['shutting down (57P01)', withCode('57P01', 'terminating connection due to administrator command')],
    ['shutting down (57P03)', withCode('57P03', 'the database system is shutting down')],
    ['a connection exception (08006)', withCode('08006')],
    ['too many connections', withCode('53300')],
    ['ioredis closed', new Error('Connection is closed.')],
    ['a cause chain', new Error('outer', { cause: new Error('mid', { cause: withCode('ECONNREFUSED') }) })],
  ])('%s', (_, error) => {
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['a data exception', withCode('22P02')],
    ['a syntax error', withCode('42601')],
    ['a plain error', new Error('boom')],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
    ['a deep but unrelated chain', new Error('a', { cause: new Error('b', { cause: new Error('c') }) })],
  ])('not %s', (_, error) => {
    expect(isDependencyUnavailable(error)).toBe(false);
  });

  it('stops on cyclic causes', () => {
    const a: { cause?: unknown; message: string } = { message: 'a' };
    a.cause = a;
    expect(isDependencyUnavailable(a)).toBe(false);
  });
});

describe('isTransientConflict', () => {
  it.each([
    ['a deadlock', Object.assign(new Error('deadlock detected'), { code: '40P01' })],
    ['a serialization failure', Object.assign(new Error('could not serialize access'), { code: '40001' })],
    ['a deadlock inside a TypeORM QueryFailedError', { message: 'x', driverError: { code: '40P01' } }],
    ['a deadlock as a cause', new Error('wrapped', { cause: { code: '40001' } })],
  ])('recognizes %s', (_, error) => {
    expect(isTransientConflict(error)).toBe(true);
  });

  it.each([
    ['a unique violation', { code: '23505' }],
    ['a connection loss', { code: '08006' }],
    ['nothing', null],
    ['a string', '40P01'],
  ])('leaves %s alone', (_, error) => {
    expect(isTransientConflict(error)).toBe(false);
  });
});
