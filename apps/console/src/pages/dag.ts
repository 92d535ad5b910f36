import type { ElkNode } from 'elkjs/lib/elk.bundled.js';
import type { Schemas } from '../api.js';

const elk = import('elkjs/lib/elk.bundled.js').then(({ default: ELK }) => new ELK());
const SVG = 'http://www.w3.org/2000/svg';
const NODE_WIDTH = 150;
const NODE_HEIGHT = 46;

export interface DagNode {
  id: string;
  dependsOn: string[];
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/**
 * Lays the workflow's DAG out with ELK's layered algorithm and draws it as SVG: one box per node
 * coloured by status, edges from dependency to dependant. Scales down to the container's width.
 */
export async function drawDag(definition: DagNode[], nodes: Schemas['Node'][]): Promise<SVGSVGElement> {
  const status = new Map(nodes.map((n) => [n.id, n]));
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': '24',
      'elk.layered.spacing.nodeNodeBetweenLayers': '48',
    },
    children: definition.map((n) => ({ id: n.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: definition.flatMap((n) =>
      n.dependsOn.map((from) => ({ id: `${from}->${n.id}`, sources: [from], targets: [n.id] })),
    ),
  };
  const layout = await (await elk).layout(graph);
  const width = (layout.width ?? 0) + 16;
  const height = (layout.height ?? 0) + 16;
  const root = svg('svg', {
    viewBox: `-8 -8 ${width} ${height}`,
    class: 'dag',
    role: 'img',
    'aria-label': 'Workflow graph',
  });
  root.style.maxWidth = `${width}px`;
  const defs = svg('defs', {});
  const marker = svg('marker', {
    id: 'arrow',
    viewBox: '0 0 10 10',
    refX: 10,
    refY: 5,
    markerWidth: 6,
    markerHeight: 6,
    orient: 'auto',
  });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'dag-arrow' }));
  defs.append(marker);
  root.append(defs);
  for (const edge of layout.edges ?? []) {
    for (const section of edge.sections ?? []) {
      const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
      root.append(
        svg('polyline', {
          points: points.map((p) => `${p.x},${p.y}`).join(' '),
          class: 'dag-edge',
          'marker-end': 'url(#arrow)',
        }),
      );
    }
  }
  for (const child of layout.children ?? []) {
    const node = status.get(child.id);
    const g = svg('g', {
      transform: `translate(${child.x ?? 0},${child.y ?? 0})`,
      class: `dag-node status-${node?.status ?? 'pending'}`,
    });
    const title = svg('title', {});
    title.textContent = `${child.id}: ${node?.status ?? 'pending'}`;
    g.append(title, svg('rect', { width: NODE_WIDTH, height: NODE_HEIGHT, rx: 6 }));
    const label = svg('text', { x: 10, y: 19 });
    label.textContent = child.id.length > 18 ? `${child.id.slice(0, 17)}…` : child.id;
    const state = svg('text', { x: 10, y: 36, class: 'dag-status' });
    state.textContent = `${node?.status ?? 'pending'}${node && node.attempts > 1 ? ` ×${node.attempts}` : ''}`;
    g.append(label, state);
    root.append(g);
  }
  return root;
}
