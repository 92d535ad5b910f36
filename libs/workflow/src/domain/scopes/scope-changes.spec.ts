import { describe, expect, it } from '@jest/globals';
import type { WorkflowDefinition, WorkflowNode } from '../definition/definition.schema.js';
import { declaredScopes, diffScopeChanges } from './scope-changes.js';

const http = (id: string, oauth?: WorkflowNode['oauth']): WorkflowNode => ({
  id,
  type: 'http',
  ...(oauth && { oauth }),
  request: { method: 'GET', url: 'http://127.0.0.1/x' },
});

const def = (nodes: WorkflowNode[], defaults?: WorkflowDefinition['defaults']): WorkflowDefinition => ({
  name: 'wf',
  nodes,
  ...(defaults && { defaults }),
});

const v = (version: number, definition: WorkflowDefinition) => ({ version, definition });

describe('declaredScopes', () => {
  it('lists required before optional per node, in definition order, and skips nodes without oauth', () => {
    const definition = def([
      http('a', { requiredScopes: ['r1', 'r2'], optionalScopes: ['o1'] }),
      http('plain'),
      { id: 'ok', type: 'approval', approval: { prompt: 'p' } },
      http('b', { requiredScopes: ['r3'] }),
    ]);
    expect(declaredScopes(definition)).toEqual([
      { node: 'a', scope: 'r1', kind: 'required' },
      { node: 'a', scope: 'r2', kind: 'required' },
      { node: 'a', scope: 'o1', kind: 'optional' },
      { node: 'b', scope: 'r3', kind: 'required' },
    ]);
  });

  it('takes scopes from defaults.oauth for a node that declares oauth, never for one that does not', () => {
    const definition = def([http('a', { audience: 'x' }), http('b')], {
      oauth: { profile: 'corp', requiredScopes: ['d:req'], optionalScopes: ['d:opt'] },
    });
    expect(declaredScopes(definition)).toEqual([
      { node: 'a', scope: 'd:req', kind: 'required' },
      { node: 'a', scope: 'd:opt', kind: 'optional' },
    ]);
  });

  it('lists a scope repeated within one kind once', () => {
    expect(declaredScopes(def([http('a', { requiredScopes: ['r', 'r'] })]))).toEqual([
      { node: 'a', scope: 'r', kind: 'required' },
    ]);
  });
});

describe('diffScopeChanges (SPEC §12.3)', () => {
  it('version 1: every scope is added, nothing removed, previousVersion null', () => {
    const next = def([http('a', { requiredScopes: ['r'], optionalScopes: ['o'] })]);
    expect(diffScopeChanges(null, next)).toEqual({
      previousVersion: null,
      added: [
        { node: 'a', scope: 'r', kind: 'required' },
        { node: 'a', scope: 'o', kind: 'optional' },
      ],
      removed: [],
    });
  });

  it('version 1 without any oauth node: nothing added', () => {
    expect(diffScopeChanges(null, def([http('a')]))).toEqual({ previousVersion: null, added: [], removed: [] });
  });

  it('the same scopes again: no change, previousVersion named', () => {
    const same = def([http('a', { requiredScopes: ['r'] })]);
    expect(diffScopeChanges(v(4, same), same)).toEqual({ previousVersion: 4, added: [], removed: [] });
  });

  it('lists added and removed scopes of a node', () => {
    const before = def([http('a', { requiredScopes: ['keep', 'gone'] })]);
    const after = def([http('a', { requiredScopes: ['keep', 'new'] })]);
    expect(diffScopeChanges(v(1, before), after)).toEqual({
      previousVersion: 1,
      added: [{ node: 'a', scope: 'new', kind: 'required' }],
      removed: [{ node: 'a', scope: 'gone', kind: 'required' }],
    });
  });

  it('a scope moving from optional to required is removed as optional and added as required', () => {
    const before = def([http('a', { requiredScopes: ['r'], optionalScopes: ['m'] })]);
    const after = def([http('a', { requiredScopes: ['r', 'm'] })]);
    expect(diffScopeChanges(v(2, before), after)).toEqual({
      previousVersion: 2,
      added: [{ node: 'a', scope: 'm', kind: 'required' }],
      removed: [{ node: 'a', scope: 'm', kind: 'optional' }],
    });
  });

  it('a scope moving from required to optional is removed as required and added as optional', () => {
    const before = def([http('a', { requiredScopes: ['r', 'm'] })]);
    const after = def([http('a', { requiredScopes: ['r'], optionalScopes: ['m'] })]);
    expect(diffScopeChanges(v(2, before), after)).toEqual({
      previousVersion: 2,
      added: [{ node: 'a', scope: 'm', kind: 'optional' }],
      removed: [{ node: 'a', scope: 'm', kind: 'required' }],
    });
  });

  it('a node removed loses all its scopes; a node added brings all of its own', () => {
    const before = def([
      http('a', { requiredScopes: ['x'] }),
      http('b', { requiredScopes: ['y'], optionalScopes: ['z'] }),
    ]);
    const after = def([http('a', { requiredScopes: ['x'] }), http('c', { requiredScopes: ['y'] })]);
    expect(diffScopeChanges(v(7, before), after)).toEqual({
      previousVersion: 7,
      added: [{ node: 'c', scope: 'y', kind: 'required' }],
      removed: [
        { node: 'b', scope: 'y', kind: 'required' },
        { node: 'b', scope: 'z', kind: 'optional' },
      ],
    });
  });

  it('a node that drops oauth altogether has all its scopes removed', () => {
    const before = def([http('a', { requiredScopes: ['x'] })]);
    expect(diffScopeChanges(v(1, before), def([http('a')]))).toEqual({
      previousVersion: 1,
      added: [],
      removed: [{ node: 'a', scope: 'x', kind: 'required' }],
    });
  });

  it('a change in defaults.oauth shows on every node that declares oauth', () => {
    const nodes = [http('a', { audience: 'x' }), http('b', { audience: 'y' })];
    const before = def(nodes, { oauth: { profile: 'p', requiredScopes: ['old'] } });
    const after = def(nodes, { oauth: { profile: 'p', requiredScopes: ['new'] } });
    const changes = diffScopeChanges(v(1, before), after);
    expect(changes.added).toEqual([
      { node: 'a', scope: 'new', kind: 'required' },
      { node: 'b', scope: 'new', kind: 'required' },
    ]);
    expect(changes.removed).toEqual([
      { node: 'a', scope: 'old', kind: 'required' },
      { node: 'b', scope: 'old', kind: 'required' },
    ]);
  });

  it('changes of audience or order alone are not scope changes', () => {
    const before = def([http('a', { requiredScopes: ['x', 'y'], audience: 'one' })]);
    const after = def([http('a', { requiredScopes: ['y', 'x'], audience: 'two' })]);
    expect(diffScopeChanges(v(1, before), after)).toEqual({ previousVersion: 1, added: [], removed: [] });
  });

  it('the same scope on two nodes is tracked per node', () => {
    const before = def([http('a', { requiredScopes: ['s'] })]);
    const after = def([http('a', { requiredScopes: ['s'] }), http('b', { requiredScopes: ['s'] })]);
    expect(diffScopeChanges(v(1, before), after).added).toEqual([{ node: 'b', scope: 's', kind: 'required' }]);
  });
});

describe('declaredScopes of workflow nodes (SPEC §12.3: ceilings count by the same kinds)', () => {
  it('lists a workflow node ceiling as required and optional scopes', () => {
    const definition = def([
      {
        id: 'research',
        type: 'workflow',
        oauth: { requiredScopes: ['docs:read'], optionalScopes: ['web:search'] },
        workflow: { name: 'web-research' },
      },
    ]);
    expect(declaredScopes(definition)).toEqual([
      { node: 'research', scope: 'docs:read', kind: 'required' },
      { node: 'research', scope: 'web:search', kind: 'optional' },
    ]);
  });
});
