import { api, ok } from '../api.js';
import { h, json } from '../dom.js';
import type { PageContext } from './page.js';

/** Workflows: each name with all its versions, each version's definition and scopeChanges. */
export async function workflowsPage(ctx: PageContext): Promise<void> {
  const list = h('div', { class: 'workflows' });
  ctx.main.append(h('h1', {}, 'Workflows'), list);
  const page = ok(await api.GET('/v1/workflows', { params: { query: { limit: 100 } } }));
  for (const latest of page.items) {
    const versions = await Promise.all(
      Array.from({ length: latest.version }, (_, i) =>
        api
          .GET('/v1/workflows/{name}/versions/{version}', { params: { path: { name: latest.name, version: i + 1 } } })
          .then(ok),
      ),
    );
    list.append(
      h(
        'section',
        { class: 'workflow', 'aria-label': `Workflow ${latest.name}` },
        h('h2', {}, latest.name, h('small', {}, ` ${latest.version} version${latest.version === 1 ? '' : 's'}`)),
        latest.description ? h('p', {}, latest.description) : null,
        ...versions.reverse().map((v) => {
          const changes = v.scopeChanges;
          const item = (c: { node: string; scope: string; kind: string }) =>
            h('li', {}, `${c.node}: ${c.scope} (${c.kind})`);
          return h(
            'details',
            { class: 'version', open: v.version === latest.version || undefined },
            h(
              'summary',
              {},
              `Version ${v.version}`,
              h('span', { class: 'muted' }, ` ${new Date(v.createdAt).toLocaleString()}`),
            ),
            h('h3', {}, 'Scope changes', changes.previousVersion ? ` since version ${changes.previousVersion}` : ''),
            h(
              'div',
              { class: 'scope-changes' },
              h(
                'div',
                {},
                h('h4', {}, 'Added'),
                changes.added.length ? h('ul', {}, ...changes.added.map(item)) : h('p', { class: 'muted' }, 'none'),
              ),
              h(
                'div',
                {},
                h('h4', {}, 'Removed'),
                changes.removed.length ? h('ul', {}, ...changes.removed.map(item)) : h('p', { class: 'muted' }, 'none'),
              ),
            ),
            h('h3', {}, 'Definition'),
            json({ ...v, scopeChanges: undefined }),
          );
        }),
      ),
    );
  }
  if (page.items.length === 0) list.append(h('p', {}, 'No workflows yet.'));
}
