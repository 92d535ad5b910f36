import { describe, expect, it } from '@jest/globals';
import { scopeChangeLines } from './scope-changes-view.js';

describe('scopeChangeLines', () => {
  it('prints every scope of a new workflow as added', () => {
    expect(
      scopeChangeLines({ previousVersion: null, added: [{ node: 'a', scope: 's', kind: 'required' }], removed: [] }),
    ).toEqual(['scope changes (new workflow): 1 added, 0 removed', '  + a s (required)']);
  });

  it('prints removed before added, naming the previous version', () => {
    expect(
      scopeChangeLines({
        previousVersion: 2,
        added: [{ node: 'a', scope: 'm', kind: 'required' }],
        removed: [{ node: 'a', scope: 'm', kind: 'optional' }],
      }),
    ).toEqual(['scope changes (since version 2): 1 added, 1 removed', '  - a m (optional)', '  + a m (required)']);
  });

  it('says so when nothing changed', () => {
    expect(scopeChangeLines({ previousVersion: 1, added: [], removed: [] })).toEqual([
      'scopes unchanged (since version 1)',
    ]);
  });
});
