import { describe, expect, it } from '@jest/globals';
import {
  ceilingOf,
  decideParentStart,
  delegatedScopes,
  narrowWithinDelegation,
  scopesBeyondCeiling,
} from './delegation-ceiling.js';

describe('ceilingOf (SPEC §11: requiredScopes ∪ optionalScopes)', () => {
  it('is required then optional, deduplicated', () => {
    expect(ceilingOf({ requiredScopes: ['docs:read', 'a'], optionalScopes: ['web:search', 'a'] })).toEqual([
      'docs:read',
      'a',
      'web:search',
    ]);
  });
  it('is the required scopes when there are no optional ones', () => {
    expect(ceilingOf({ requiredScopes: ['docs:read'] })).toEqual(['docs:read']);
  });
});

describe('delegatedScopes (user ∩ every ceiling of the chain)', () => {
  const user = ['docs:read', 'web:search', 'mail:send', 'admin'];
  it('is the user scopes at the root (no ceiling)', () => {
    expect(delegatedScopes(user, [])).toEqual(user);
  });
  it('is user ∩ ceiling for a child', () => {
    expect(delegatedScopes(user, [['docs:read', 'web:search', 'not-held']])).toEqual(['docs:read', 'web:search']);
  });
  it('is the intersection of all ceilings down the tree for a grandchild', () => {
    expect(
      delegatedScopes(user, [
        ['docs:read', 'web:search', 'mail:send'],
        ['web:search', 'mail:send', 'admin'],
      ]),
    ).toEqual(['web:search', 'mail:send']);
  });
  it('is empty when ceilings do not overlap, however broad the user', () => {
    expect(delegatedScopes(user, [['docs:read'], ['admin']])).toEqual([]);
  });
});

describe('narrowWithinDelegation (SPEC §4.2 against user ∩ ceilings)', () => {
  it('at the root it is plain §4.2 narrowing', () => {
    expect(
      narrowWithinDelegation({
        node: { requiredScopes: ['a'], optionalScopes: ['b', 'c'] },
        userScopes: ['a', 'b'],
        ceilings: [],
      }),
    ).toEqual({ granted: ['a', 'b'], missing: [] });
  });
  it('drops an optional scope the user holds but the ceiling leaves out', () => {
    expect(
      narrowWithinDelegation({
        node: { requiredScopes: ['docs:read'], optionalScopes: ['web:search'] },
        userScopes: ['docs:read', 'web:search'],
        ceilings: [['docs:read']],
      }),
    ).toEqual({ granted: ['docs:read'], missing: [] });
  });
  it('a required optional-ceiling scope the user lacks is missing (→ insufficient_scope on the child node)', () => {
    expect(
      narrowWithinDelegation({
        node: { requiredScopes: ['web:search'] },
        userScopes: ['docs:read'],
        ceilings: [['docs:read', 'web:search']],
      }),
    ).toEqual({ granted: [], missing: ['web:search'] });
  });
  it('a required scope the user holds outside the ceiling is missing, never obtained', () => {
    expect(
      narrowWithinDelegation({
        node: { requiredScopes: ['admin'] },
        userScopes: ['admin', 'docs:read'],
        ceilings: [['docs:read']],
      }),
    ).toEqual({ granted: [], missing: ['admin'] });
  });
  it('a grandchild is narrowed against every ceiling above it', () => {
    expect(
      narrowWithinDelegation({
        node: { requiredScopes: ['b'], optionalScopes: ['a', 'c'] },
        userScopes: ['a', 'b', 'c'],
        ceilings: [
          ['a', 'b'],
          ['b', 'c'],
        ],
      }),
    ).toEqual({ granted: ['b'], missing: [] });
  });
  it('without known user scopes (authorization-server scope source) only the ceilings bound the request', () => {
    expect(
      narrowWithinDelegation({
        node: { requiredScopes: ['a'], optionalScopes: ['b', 'z'] },
        userScopes: [],
        ceilings: [['a', 'b']],
        userScopesKnown: false,
      }),
    ).toEqual({ granted: ['a', 'b'], missing: [] });
    expect(
      narrowWithinDelegation({
        node: { requiredScopes: ['z'] },
        userScopes: [],
        ceilings: [['a']],
        userScopesKnown: false,
      }),
    ).toEqual({ granted: [], missing: ['z'] });
  });
});

describe('decideParentStart (SPEC §11, before any child exists)', () => {
  const node = { requiredScopes: ['docs:read'], optionalScopes: ['web:search'] };
  it('starts the child with the ceiling when the user holds every required ceiling scope', () => {
    expect(decideParentStart({ node, depth: 0, maxDepth: 3, userScopes: ['docs:read'], ceilings: [] })).toEqual({
      kind: 'start_child',
      ceiling: ['docs:read', 'web:search'],
    });
  });
  it('a missing optional ceiling scope does not stop the child', () => {
    expect(decideParentStart({ node, depth: 2, maxDepth: 3, userScopes: ['docs:read'], ceilings: [] }).kind).toBe(
      'start_child',
    );
  });
  it('a required ceiling scope the user lacks is insufficient_scope on the parent node', () => {
    expect(decideParentStart({ node, depth: 0, maxDepth: 3, userScopes: ['web:search'], ceilings: [] })).toEqual({
      kind: 'insufficient_scope',
      missing: ['docs:read'],
    });
  });
  it('inside a child, the parent ceiling bounds what counts as held', () => {
    expect(
      decideParentStart({ node, depth: 1, maxDepth: 3, userScopes: ['docs:read'], ceilings: [['web:search']] }),
    ).toEqual({ kind: 'insufficient_scope', missing: ['docs:read'] });
  });
  it('a run at maxDelegationDepth cannot start a child (checked before scopes)', () => {
    expect(decideParentStart({ node, depth: 3, maxDepth: 3, userScopes: [], ceilings: [] })).toEqual({
      kind: 'depth_exceeded',
      depth: 3,
      maxDepth: 3,
    });
  });
  it('maxDelegationDepth 0 forbids children at the root', () => {
    expect(decideParentStart({ node, depth: 0, maxDepth: 0, userScopes: ['docs:read'], ceilings: [] }).kind).toBe(
      'depth_exceeded',
    );
  });
  it('one below the limit may still start a child', () => {
    expect(decideParentStart({ node, depth: 2, maxDepth: 3, userScopes: ['docs:read'], ceilings: [] }).kind).toBe(
      'start_child',
    );
  });
});

describe('scopesBeyondCeiling (SPEC §11 child start → delegation_exceeded)', () => {
  const ceiling = ['docs:read', 'web:search'];
  it('is empty when every child node requires scopes within the ceiling', () => {
    expect(
      scopesBeyondCeiling(ceiling, [
        { oauth: { requiredScopes: ['docs:read'] } },
        { oauth: { requiredScopes: ['web:search'], optionalScopes: ['beyond:optional'] } },
        {},
      ]),
    ).toEqual([]);
  });
  it('lists each required scope outside the ceiling once, in node order', () => {
    expect(
      scopesBeyondCeiling(ceiling, [
        { oauth: { requiredScopes: ['mail:send', 'docs:read'] } },
        { oauth: { requiredScopes: ['admin', 'mail:send'] } },
      ]),
    ).toEqual(['mail:send', 'admin']);
  });
  it('optional scopes outside the ceiling never exceed it (they are narrowed away)', () => {
    expect(scopesBeyondCeiling(ceiling, [{ oauth: { requiredScopes: ['docs:read'], optionalScopes: ['x'] } }])).toEqual(
      [],
    );
  });
  it('nodes without oauth require nothing', () => {
    expect(scopesBeyondCeiling([], [{}, {}])).toEqual([]);
  });
  it("a child's own workflow node counts by its requiredScopes like any node", () => {
    expect(scopesBeyondCeiling(['docs:read'], [{ oauth: { requiredScopes: ['docs:read', 'web:search'] } }])).toEqual([
      'web:search',
    ]);
  });
});
