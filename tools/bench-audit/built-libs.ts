import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DataSource } from 'typeorm';

/**
 * The part of the built libs the bench drives, declared here rather than imported: `tsc -p
 * tools/tsconfig.json` would otherwise compile the libs' sources again into dist/ without Nest's
 * path rewriting (their `@baton/*` imports), over the API's and worker's working build. So the bench
 * loads the very modules `npm run start:api` runs, from dist/, at run time.
 */
export interface AuditEntryLike {
  id: string;
  at: string;
  operation: string;
}
export interface PageLike {
  items: AuditEntryLike[];
  nextCursor: string | null;
}
export interface AuditQueryLike {
  list(query: unknown): Promise<PageLike>;
  stats(query: unknown): Promise<{ items: unknown[] }>;
}
export interface BuiltLibs {
  openDataSource(databaseUrl: string, entities: unknown[], migrate: boolean): Promise<DataSource>;
  entities: unknown[];
  AuditQuery: new (dataSource: DataSource) => AuditQueryLike;
  AuditReader: new (dataSource: DataSource) => {
    forRun(runId: string, limit: number, cursor?: string): Promise<PageLike>;
  };
  AuditChainVerifier: new (dataSource: DataSource) => {
    verify(runId: string): Promise<{ valid: boolean; entries: number; brokenAt: string | null }>;
  };
  parseAuditListQuery(query: Record<string, unknown>): unknown;
  parseAuditStatsQuery(query: Record<string, unknown>): unknown;
  encodeAuditCursor(order: 'asc' | 'desc', key: { at: Date; id: string }): string;
}

/** dist/ relative to this file, whether it runs as dist/tools/bench-audit/*.js or from elsewhere under dist. */
export async function loadBuiltLibs(distRoot = resolve(import.meta.dirname, '../..')): Promise<BuiltLibs> {
  await import('reflect-metadata');
  const load = (path: string) =>
    import(pathToFileURL(resolve(distRoot, path)).href) as Promise<Record<string, unknown>>;
  let platform: Record<string, unknown>;
  let workflow: Record<string, unknown>;
  try {
    [platform, workflow] = await Promise.all([load('libs/platform/src/index.js'), load('libs/workflow/src/index.js')]);
  } catch (error) {
    throw new Error(`bench-audit: cannot load the built libs under ${distRoot} (run \`npm run build\` first)`, {
      cause: error,
    });
  }
  return { ...(platform as object), ...(workflow as object) } as BuiltLibs;
}
