import { describe, expect, it } from '@jest/globals';
import { extractTemplateRefs, findMalformedTemplates } from './extract-template-refs.js';

describe('extractTemplateRefs', () => {
  it('finds references in nested objects and arrays with their JSON paths', () => {
    const body = {
      total: '{{nodes.fetch.output.body.total}}',
      lines: [{ id: 'line {{input.lines.0.id}}' }, 'static', 7, null, true],
      'content-type': '{{input.type}}',
      'odd key.with dot': '{{input.odd}}',
    };
    expect(extractTemplateRefs(body, '$.nodes[2].request.body')).toEqual([
      { path: '$.nodes[2].request.body.total', ref: { source: 'node', nodeId: 'fetch', path: ['body', 'total'] } },
      { path: '$.nodes[2].request.body.lines[0].id', ref: { source: 'input', path: ['lines', '0', 'id'] } },
      { path: '$.nodes[2].request.body.content-type', ref: { source: 'input', path: ['type'] } },
      { path: '$.nodes[2].request.body["odd key.with dot"]', ref: { source: 'input', path: ['odd'] } },
    ]);
  });

  it('reports each reference of a string that holds several', () => {
    expect(extractTemplateRefs('{{input.a}}-{{nodes.b.output}}')).toEqual([
      { path: '$', ref: { source: 'input', path: ['a'] } },
      { path: '$', ref: { source: 'node', nodeId: 'b', path: [] } },
    ]);
  });

  it('ignores templates in object keys and non-string values', () => {
    expect(extractTemplateRefs({ '{{input.key}}': 1, n: 2, b: false, z: null })).toEqual([]);
  });

  it('leaves out malformed templates', () => {
    expect(extractTemplateRefs(['{{ nope }}', '{{input.ok}}'])).toEqual([
      { path: '$[1]', ref: { source: 'input', path: ['ok'] } },
    ]);
  });
});

describe('findMalformedTemplates', () => {
  it('reports each malformed template with the path of its string', () => {
    const problems = findMalformedTemplates(
      { a: ['fine {{input.x}}', 'bad {{ env.SECRET }}'], b: { c: 'open {{input.y' } },
      '$.x',
    );
    expect(problems.map((p) => p.path)).toEqual(['$.x.a[1]', '$.x.b.c']);
    expect(problems[0]!.message).toContain('{{ env.SECRET }}');
    expect(problems[1]!.message).toContain('never closed');
  });

  it('is empty when every template is well formed', () => {
    expect(findMalformedTemplates({ a: '{{input.a}}', b: ['{{nodes.x.output.y}}'] })).toEqual([]);
  });
});
