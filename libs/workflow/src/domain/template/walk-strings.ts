import { appendPath } from '../problem.js';

/** Calls `visit` for every string inside nested arrays and objects, with its JSON path. Keys are not visited. */
export function walkStrings(value: unknown, path: string, visit: (text: string, path: string) => void): void {
  if (typeof value === 'string') {
    visit(value, path);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => walkStrings(item, appendPath(path, index), visit));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) walkStrings(item, appendPath(path, key), visit);
  }
}
