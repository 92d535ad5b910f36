import { describe, expect, it } from '@jest/globals';
import { workflowDefinitionJsonSchema } from './definition.json-schema.js';

describe('workflowDefinitionJsonSchema', () => {
  it('documents the definition with its required fields and node types', () => {
    const schema = workflowDefinitionJsonSchema as {
      type: string;
      required: string[];
      additionalProperties: boolean;
      properties: {
        nodes: {
          maxItems: number;
          items: { oneOf: Array<{ properties: { type: { enum?: string[]; const?: string } } }> };
        };
      };
    };
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(['name', 'nodes']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.nodes.maxItems).toBe(100);
    const types = schema.properties.nodes.items.oneOf.map(
      (node) => node.properties.type.enum?.[0] ?? node.properties.type.const,
    );
    expect(types).toEqual(['http', 'approval', 'handler', 'workflow']);
  });
});
