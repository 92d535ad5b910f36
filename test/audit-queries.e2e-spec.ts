import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../libs/platform/src/index.js';
import { AuditQuery, entities, parseAuditExportQuery, parseAuditStatsQuery } from '../libs/workflow/src/index.js';
import { call } from './support/api.js';
import { RunStack } from './support/run-stack.js';
import { definition, httpNode } from './support/workflows.js';

const AUDIT_READ = 'baton:audit:read';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An audit row as a fixture: anything not given is NULL (success defaults to true). */
interface Entry {
  at: string;
  operation: string;
  runId?: string;
  nodeId?: string;
  workflow?: string;
  agentId?: string;
  userId?: string;
  issuer?: string;
  success?: boolean;
  error?: string;
  details?: Record<string, unknown>;
}

/** Inserts through the real table (so the chain trigger runs); returns the ids in order. */
async function insertEntries(db: pg.Client, entries: Entry[]): Promise<string[]> {
  const ids: string[] = [];
  for (const e of entries) {
    const { rows } = await db.query(
      `INSERT INTO audit_entries (tenant, at, operation, run_id, node_id, workflow, agent_id, user_id, issuer, success, error, details)
       VALUES ('default', $1, $2, $3, $4, $5, $6, $7, $11, $8, $9, $10) RETURNING id::text`,
      [
        e.at,
        e.operation,
        e.runId ?? null,
        e.nodeId ?? null,
        e.workflow ?? null,
        e.agentId ?? null,
        e.userId ?? null,
        e.success ?? true,
        e.error ?? null,
        e.details ?? null,
        e.issuer ?? 'https://issuer.test',
      ],
    );
    ids.push(rows[0].id);
  }
  return ids;
}

describe('audit trail queries, stats and export (SPEC §7)', () => {
  let stack: RunStack;
  let auditor: string;
  let owner: string;
  const url = (path: string) => `${stack.api.url}${path}`;
  const get = (path: string, token = auditor) => call(url(path), { token });

  /** Ids matching a hand-written WHERE, in (at, id) order. */
  async function sqlIds(where: string, values: unknown[], order: 'asc' | 'desc' = 'desc'): Promise<string[]> {
    const { rows } = await stack.db.query(
      `SELECT id::text FROM audit_entries WHERE ${where} ORDER BY at ${order}, id ${order}`,
      values,
    );
    return rows.map((r) => r.id);
  }

  /** Follows nextCursor to the end; fails on a repeated id. */
  async function walk(
    path: string,
    query: string,
    limit: number,
    token = auditor,
    between?: (page: number) => Promise<void>,
  ): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const params = new URLSearchParams(query);
      params.set('limit', String(limit));
      if (cursor) params.set('cursor', cursor);
      const response = await get(`${path}?${params}`, token);
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(limit);
      ids.push(...response.body.items.map((e: { id: string }) => e.id));
      cursor = response.body.nextCursor;
      await between?.(++page);
    } while (cursor);
    expect(new Set(ids).size).toBe(ids.length);
    return ids;
  }

  beforeAll(async () => {
    stack = await RunStack.start();
    stack.resource.on('GET', '/items', { status: 200, body: { ok: true } });
    const item = httpNode('a', `${stack.resource.url}/items`);
    await stack.register(
      definition('audited', [item, { ...item, id: 'b', dependsOn: ['a'] }, { ...item, id: 'c', dependsOn: ['b'] }]),
    );
    auditor = await stack.auth.mintToken('auditor', [AUDIT_READ]);
    owner = await stack.auth.mintToken('owner', ['expenses:read']);
  });
  afterAll(() => stack?.close());

  describe('access', () => {
    it('needs auditRead: 401 without a token, 403 with insufficient_scope otherwise, on every dashboard route', async () => {
      for (const path of ['/v1/audit', '/v1/audit/stats?from=2001-01-01&to=2001-01-02', '/v1/audit/export']) {
        const anonymous = await call(url(path));
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
        const forbidden = await get(path, owner);
        expect(forbidden.status).toBe(403);
        expect(forbidden.contentType).toContain('application/problem+json');
        expect(forbidden.headers.get('www-authenticate')).toBe(
          `Bearer error="insufficient_scope", scope="${AUDIT_READ}"`,
        );
        expect((await get(path, auditor)).status).toBe(200);
      }
    });

    it('documents the routes in the OpenAPI document', async () => {
      const doc = await call(url('/docs-json'));
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining([
          '/v1/audit',
          '/v1/audit/stats',
          '/v1/audit/export',
          '/v1/runs/{id}/audit',
          '/v1/runs/{id}/audit/verify',
        ]),
      );
      const stats = doc.body.paths['/v1/audit/stats'].get;
      expect(stats.parameters.map((p: { name: string }) => p.name)).toEqual(
        expect.arrayContaining(['from', 'to', 'bucket', 'groupBy']),
      );
      expect(stats.responses['200'].content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/AuditStats',
      });
      expect(doc.body.components.schemas.AuditStats.required).toEqual(['bucket', 'groupBy', 'from', 'to', 'items']);
      expect(Object.keys(doc.body.paths['/v1/audit/export'].get.responses['200'].content)).toEqual([
        'application/x-ndjson',
      ]);
    });
  });

  describe('GET /v1/audit', () => {
    const RUN_1 = randomUUID();
    const RUN_2 = randomUUID();
    const T = (minutes: number, ms = 0) => new Date(Date.UTC(2001, 1, 3, 12, minutes, 0, ms)).toISOString();

    beforeAll(async () => {
      // Two runs and a run-less entry, early 2001 (no real run writes then); ties on `at` included.
      await insertEntries(stack.db, [
        {
          at: T(0),
          operation: 'run.started',
          runId: RUN_1,
          workflow: 'fx-expenses',
          agentId: 'fx-agent-1',
          userId: 'fx-alice',
        },
        {
          at: T(1),
          operation: 'token.exchanged',
          runId: RUN_1,
          nodeId: 'fetch',
          workflow: 'fx-expenses',
          agentId: 'fx-agent-1',
          userId: 'fx-alice',
          success: false,
          error: 'invalid_grant',
        },
        {
          at: T(1),
          operation: 'token.revoked',
          runId: RUN_1,
          nodeId: 'fetch',
          workflow: 'fx-expenses',
          agentId: 'fx-agent-1',
          userId: 'fx-alice',
        },
        {
          at: T(2),
          operation: 'run.started',
          runId: RUN_2,
          workflow: 'fx-crm',
          agentId: 'fx-agent-2',
          userId: 'fx-bob',
        },
        {
          at: T(3),
          operation: 'token.exchanged',
          runId: RUN_2,
          nodeId: 'lead',
          workflow: 'fx-crm',
          agentId: 'fx-agent-2',
          userId: 'fx-bob',
          details: { cached: false },
        },
        {
          at: T(3),
          operation: 'token.used',
          runId: RUN_2,
          nodeId: 'lead',
          workflow: 'fx-crm',
          agentId: 'fx-agent-2',
          userId: 'fx-bob',
          details: { status: 503 },
          success: false,
        },
        {
          at: T(3),
          operation: 'token.used',
          runId: RUN_2,
          nodeId: 'lead',
          workflow: 'fx-crm',
          agentId: 'fx-agent-2',
          userId: 'fx-bob',
          details: { status: 200 },
        },
        {
          at: T(4, 1),
          operation: 'escalation.created',
          runId: RUN_1,
          nodeId: 'fetch',
          workflow: 'fx-expenses',
          agentId: 'fx-agent-1',
          userId: 'fx-alice',
        },
        {
          at: T(5),
          operation: 'run.failed',
          runId: RUN_2,
          workflow: 'fx-crm',
          agentId: 'fx-agent-2',
          userId: 'fx-bob',
          success: false,
        },
        { at: T(6), operation: 'escalation.expired', workflow: 'fx-expenses', agentId: 'fx-agent-1', success: false },
        {
          at: T(7),
          operation: 'run.failed',
          runId: RUN_1,
          workflow: 'fx-expenses',
          agentId: 'fx-agent-1',
          userId: 'fx-alice',
          success: false,
        },
      ]);
    });

    const WINDOW = `from=${encodeURIComponent('2001-02-03T00:00:00Z')}&to=2001-02-04`;
    const IN_WINDOW = `at >= '2001-02-03T00:00:00Z' AND at < '2001-02-04T00:00:00Z'`;

    it.each([
      ['runId', `runId=${RUN_1}`, `run_id = '${RUN_1}'`, 5],
      ['userId', 'userId=fx-bob', `user_id = 'fx-bob'`, 5],
      ['agentId', 'agentId=fx-agent-1', `agent_id = 'fx-agent-1'`, 6],
      ['workflow', 'workflow=fx-crm', `workflow = 'fx-crm'`, 5],
      ['one operation', 'operation=token.used', `operation = 'token.used'`, 2],
      [
        'repeated operations',
        'operation=run.failed&operation=token.revoked',
        `operation IN ('run.failed', 'token.revoked')`,
        3,
      ],
      ['success=true', 'success=true', 'success', 6],
      ['success=false', 'success=false', 'NOT success', 5],
      ['from (inclusive)', `from=${encodeURIComponent(T(3))}`, `at >= '${T(3)}'`, 7],
      ['to (exclusive)', `to=${encodeURIComponent(T(3))}`, `at < '${T(3)}'`, 4],
      [
        'everything at once',
        `userId=fx-alice&agentId=fx-agent-1&workflow=fx-expenses&operation=token.exchanged&operation=run.failed&success=false&runId=${RUN_1}`,
        `run_id = '${RUN_1}' AND operation IN ('token.exchanged', 'run.failed')`,
        2,
      ],
    ])('filters by %s, in both orders, as SQL does', async (_, query, where, count) => {
      const expectedDesc = await sqlIds(`${IN_WINDOW} AND ${where}`, [], 'desc');
      expect(expectedDesc).toHaveLength(count);
      const params = new URLSearchParams(WINDOW); // the case's own from/to narrow the window
      for (const [key, value] of new URLSearchParams(query)) {
        if (key === 'from' || key === 'to') params.set(key, value);
        else params.append(key, value);
      }
      expect(await walk('/v1/audit', `${params}`, 2)).toEqual(expectedDesc);
      expect(await walk('/v1/audit', `${params}&order=desc`, 50)).toEqual(expectedDesc);
      expect(await walk('/v1/audit', `${params}&order=asc`, 3)).toEqual([...expectedDesc].reverse());
    });

    it('answers entries as SPEC §6 shows them, newest first by default, ties broken by id', async () => {
      const page = await get(`/v1/audit?${WINDOW}&runId=${RUN_2}&limit=4`);
      expect(page.body.items.map((e: { operation: string }) => e.operation)).toEqual([
        'run.failed',
        'token.used',
        'token.used',
        'token.exchanged',
      ]);
      expect(Number(page.body.items[1].id)).toBeGreaterThan(Number(page.body.items[2].id));
      expect(page.body.items[1]).toEqual({
        id: expect.any(String),
        at: T(3),
        tenant: 'default',
        operation: 'token.used',
        runId: RUN_2,
        nodeId: 'lead',
        workflow: 'fx-crm',
        agentId: 'fx-agent-2',
        userId: 'fx-bob',
        issuer: 'https://issuer.test',
        scopes: null,
        target: null,
        success: true,
        error: null,
        details: { status: 200 },
      });
      expect(page.body.nextCursor).toEqual(expect.any(String));
    });

    it.each([
      ['an unknown operation', 'operation=run.exploded', '$.query.operation.0'],
      ['an unknown operation among known ones', 'operation=run.started&operation=nope', '$.query.operation.1'],
      ['from after to', 'from=2001-02-04&to=2001-02-03', '$.query.from'],
      ['a malformed date', 'from=2001-02-30', '$.query.from'],
      ['a date-time without a zone', 'to=2001-02-03T10:00:00', '$.query.to'],
      ['a malformed cursor', 'cursor=not-a-cursor', '$.query.cursor'],
      ['limit 0', 'limit=0', '$.query.limit'],
      ['limit 201', 'limit=201', '$.query.limit'],
      ['limit not a number', 'limit=lots', '$.query.limit'],
      ['an unknown parameter', 'colour=blue', '$.query.colour'],
      ['an unknown order', 'order=random', '$.query.order'],
      ['success not a boolean', 'success=maybe', '$.query.success'],
      ['a runId that is not a UUID', 'runId=42', '$.query.runId'],
      ['a NUL byte', 'userId=a%00b', '$.query.userId'],
      ['a repeated single-valued parameter', 'workflow=a&workflow=b', '$.query.workflow'],
    ])('answers 400 problem+json for %s', async (_, query, path) => {
      const response = await get(`/v1/audit?${query}`);
      expect(response.status).toBe(400);
      expect(response.contentType).toContain('application/problem+json');
      expect(response.body).toMatchObject({ status: 400, title: 'Bad Request' });
      expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    });

    it('refuses a cursor issued for the other order (400)', async () => {
      const first = await get(`/v1/audit?${WINDOW}&limit=1`);
      const response = await get(`/v1/audit?${WINDOW}&limit=1&order=asc&cursor=${first.body.nextCursor}`);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '$.query.cursor', message: 'was issued for order=desc' }]);
    });
  });

  describe('paging while others write', () => {
    let runId: string;
    let writers: pg.Client[];

    beforeAll(async () => {
      const started = await stack.startRun('audited', owner);
      runId = started.body.id;
      expect((await stack.waitForRun(runId, owner, ['succeeded', 'failed'])).status).toBe('succeeded');
      writers = await Promise.all(
        [0, 1].map(async () => {
          const client = new pg.Client({ connectionString: stack.config.databaseUrl });
          await client.connect();
          return client;
        }),
      );
    });
    afterAll(async () => {
      for (const client of writers ?? []) await client.end();
    });

    /** Until stopped: real runs through the API, and transactions writing other runs' entries (some held open a while). */
    function startWriting(): () => Promise<void> {
      let writing = true;
      const loops = [
        (async () => {
          for (let i = 0; writing && i < 4; i++) {
            await stack.startRun('audited', owner);
            await sleep(30);
          }
        })(),
        ...writers.map(async (client, w) => {
          while (writing) {
            const other = randomUUID();
            await client.query('BEGIN');
            for (let i = 0; i < 3; i++) {
              await client.query(
                `INSERT INTO audit_entries (tenant, operation, run_id, workflow, success) VALUES ('default', 'node.started', $1, 'fx-busy', true)`,
                [other],
              );
            }
            await sleep(w === 0 ? 5 : 40); // the second writer commits late, behind newer entries
            await client.query('COMMIT');
          }
        }),
      ];
      return async () => {
        writing = false;
        await Promise.all(loops);
      };
    }

    it("walks a run's trail with limit=2, without gaps or duplicates, while other runs write", async () => {
      const expectedBySeq = (
        await stack.db.query(`SELECT id::text FROM audit_entries WHERE run_id = $1 ORDER BY run_seq`, [runId])
      ).rows.map((r) => r.id);
      expect(expectedBySeq.length).toBeGreaterThanOrEqual(17);
      const expectedAsc = await sqlIds('run_id = $1', [runId], 'asc');
      const stop = startWriting();
      const pause = () => sleep(15);
      try {
        expect(await walk(`/v1/runs/${runId}/audit`, '', 2, owner, pause)).toEqual(expectedBySeq);
        expect(await walk('/v1/audit', `runId=${runId}&order=asc`, 2, auditor, pause)).toEqual(expectedAsc);
        expect(await walk('/v1/audit', `runId=${runId}`, 2, auditor, pause)).toEqual([...expectedAsc].reverse());
      } finally {
        await stop();
      }
    });

    it('never repeats an entry and shows every entry committed before the first page, even one whose transaction committed late', async () => {
      const late = new pg.Client({ connectionString: stack.config.databaseUrl });
      await late.connect();
      const insertTail = async (client: pg.Client, count: number): Promise<string[]> =>
        (
          await client.query(
            `INSERT INTO audit_entries (tenant, operation, workflow, success) SELECT 'default', 'node.started', 'fx-tail', true FROM generate_series(1, $1::int) RETURNING id::text`,
            [count],
          )
        ).rows.map((r) => r.id);
      let more: string[] = [];
      let seen: string[];
      let committedBefore: string[];
      let lateId: string | undefined;
      try {
        await late.query('BEGIN');
        [lateId] = await insertTail(late, 1); // its id and time are taken now; it commits only after the first page
        await sleep(5);
        await insertTail(stack.db, 6);
        committedBefore = await sqlIds(`workflow = 'fx-tail'`, []);
        expect(committedBefore).toHaveLength(6);

        const stop = startWriting();
        try {
          seen = await walk('/v1/audit', 'workflow=fx-tail', 2, auditor, async (page) => {
            if (page === 1) {
              await late.query('COMMIT'); // an older entry becomes visible behind the first page
              more = await insertTail(stack.db, 1); // and a newer one at the head
            }
          });
        } finally {
          await stop();
        }
      } finally {
        await late.end();
      }
      expect([...seen].sort()).toEqual([...committedBefore, lateId].sort());
      expect(seen).not.toContain(more[0]); // new entries land at the head of a desc walk, for the next walk
      // the walk is in (at, id) order, newest first
      const { rows } = await stack.db.query(
        `SELECT id::text FROM audit_entries WHERE id = ANY($1::bigint[]) ORDER BY at DESC, id DESC`,
        [seen],
      );
      expect(rows.map((r) => r.id)).toEqual(seen);
      expect((await walk('/v1/audit', 'workflow=fx-tail', 50))[0]).toBe(more[0]);
    });
  });

  describe('GET /v1/audit/stats', () => {
    const at = (text: string) => `2001-04-${text}Z`;

    beforeAll(async () => {
      await insertEntries(stack.db, [
        {
          at: at('03T21:59:59.999'),
          operation: 'run.started',
          workflow: 'fx-s1',
          agentId: 'fx-s-agent',
          userId: 'fx-s-u1',
        }, // before from
        {
          at: at('03T22:00:00.000'),
          operation: 'run.started',
          workflow: 'fx-s1',
          agentId: 'fx-s-agent',
          userId: 'fx-s-u1',
        }, // at from: counted
        {
          at: at('03T22:59:59.999'),
          operation: 'token.used',
          workflow: 'fx-s1',
          agentId: 'fx-s-agent',
          userId: 'fx-s-u1',
        },
        {
          at: at('03T23:00:00.000'),
          operation: 'token.used',
          workflow: 'fx-s1',
          agentId: 'fx-s-agent',
          userId: 'fx-s-u1',
          success: false,
        },
        {
          at: at('03T23:00:00.000'),
          operation: 'token.used',
          workflow: 'fx-s2',
          agentId: 'fx-s-agent',
          userId: 'fx-s-u2',
        },
        {
          at: at('03T23:30:00.000'),
          operation: 'token.used',
          workflow: 'fx-s2',
          agentId: 'fx-s-agent',
          userId: 'fx-s-u2',
          success: false,
        },
        { at: at('04T00:00:00.000'), operation: 'node.failed', workflow: 'fx-s2', userId: 'fx-s-u2', success: false },
        {
          at: at('04T00:00:00.001'),
          operation: 'run.started',
          workflow: 'fx-s2',
          agentId: 'fx-s-agent',
          userId: 'fx-s-u2',
        },
        {
          at: at('04T01:59:59.999'),
          operation: 'token.exchanged',
          workflow: 'fx-s1',
          agentId: 'fx-s-agent',
          userId: 'fx-s-u1',
        },
        {
          at: at('04T02:00:00.000'),
          operation: 'token.exchanged',
          workflow: 'fx-s1',
          agentId: 'fx-s-agent',
          userId: 'fx-s-u1',
        }, // at to: not counted
        // fx-s-u1 of another issuer: a different person (SPEC §16: identities are pairs)
        {
          at: at('05T10:00:00.000'),
          operation: 'token.used',
          workflow: 'fx-s1',
          agentId: 'fx-s-agent',
          userId: 'fx-s-u1',
          issuer: 'https://other-issuer.test',
          success: false,
        },
      ]);
    });

    const FROM = '2001-04-03T22:00:00Z';
    const TO = '2001-04-04T02:00:00Z';

    it('counts successes and failures per UTC hour and operation, from ≤ at < to', async () => {
      const response = await get(`/v1/audit/stats?from=${FROM}&to=${TO}&bucket=hour&groupBy=operation`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        bucket: 'hour',
        groupBy: 'operation',
        from: '2001-04-03T22:00:00.000Z',
        to: '2001-04-04T02:00:00.000Z',
        items: [
          { start: '2001-04-03T22:00:00.000Z', group: 'run.started', success: 1, failure: 0 },
          { start: '2001-04-03T22:00:00.000Z', group: 'token.used', success: 1, failure: 0 },
          { start: '2001-04-03T23:00:00.000Z', group: 'token.used', success: 1, failure: 2 },
          { start: '2001-04-04T00:00:00.000Z', group: 'node.failed', success: 0, failure: 1 },
          { start: '2001-04-04T00:00:00.000Z', group: 'run.started', success: 1, failure: 0 },
          { start: '2001-04-04T01:00:00.000Z', group: 'token.exchanged', success: 1, failure: 0 },
        ],
      });
    });

    const GROUP_COLUMNS: Record<string, string> = {
      operation: 'operation',
      workflow: 'workflow',
      agentId: 'agent_id',
      userId: 'user_id',
      issuer: 'issuer',
    };

    it('narrows to one identity with userId and issuer (an identity is the pair)', async () => {
      const to = '2001-04-06T00:00:00Z';
      const both = await get(
        `/v1/audit/stats?from=${FROM}&to=${to}&bucket=day&groupBy=issuer&userId=fx-s-u1&issuer=https://other-issuer.test`,
      );
      expect(both.status).toBe(200);
      expect(both.body.items).toEqual([
        { start: '2001-04-05T00:00:00.000Z', group: 'https://other-issuer.test', success: 0, failure: 1 },
      ]);
      const user = await get(`/v1/audit/stats?from=${FROM}&to=${to}&bucket=day&groupBy=issuer&userId=fx-s-u1`);
      expect(user.body.items).toEqual([
        { start: '2001-04-03T00:00:00.000Z', group: 'https://issuer.test', success: 2, failure: 1 },
        { start: '2001-04-04T00:00:00.000Z', group: 'https://issuer.test', success: 2, failure: 0 },
        { start: '2001-04-05T00:00:00.000Z', group: 'https://other-issuer.test', success: 0, failure: 1 },
      ]);
      expect((await get(`/v1/audit/stats?from=${FROM}&to=${TO}&issuer=`)).status).toBe(400);
    });

    it.each(
      ['minute', 'hour', 'day'].flatMap((bucket) => Object.keys(GROUP_COLUMNS).map((groupBy) => [bucket, groupBy])),
    )('equals a direct SQL count (bucket=%s, groupBy=%s), from not aligned to the bucket', async (bucket, groupBy) => {
      const from = '2001-04-03T22:59:00.000Z';
      const to = '2001-04-04T01:59:59.999Z'; // excludes the entry at 01:59:59.999
      const column = GROUP_COLUMNS[groupBy]!;
      const { rows } = await stack.db.query(
        `SELECT date_trunc($1, at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS start, ${column} AS "group",
                  count(*) FILTER (WHERE success)::int AS success, count(*) FILTER (WHERE NOT success)::int AS failure
           FROM audit_entries WHERE at >= $2 AND at < $3 GROUP BY 1, 2 ORDER BY 1, 2`,
        [bucket, from, to],
      );
      const expected = rows.map((r) => ({
        start: r.start.toISOString(),
        group: r.group,
        success: r.success,
        failure: r.failure,
      }));
      const response = await get(`/v1/audit/stats?from=${from}&to=${to}&bucket=${bucket}&groupBy=${groupBy}`);
      expect(response.status).toBe(200);
      expect(response.body.items).toEqual(expected);
      expect(
        response.body.items.reduce(
          (n: number, i: { success: number; failure: number }) => n + i.success + i.failure,
          0,
        ),
      ).toBe(6);
    });

    it('aligns buckets to UTC whatever the session TimeZone (Asia/Kolkata is UTC+05:30)', async () => {
      const options = dataSourceOptions(stack.config.databaseUrl, entities);
      const kolkata = new DataSource({
        ...options,
        extra: { ...(options as { extra?: object }).extra, options: '-c TimeZone=Asia/Kolkata' },
      } as typeof options);
      await kolkata.initialize();
      try {
        expect((await kolkata.query('SHOW TimeZone'))[0].TimeZone).toBe('Asia/Kolkata');
        const query = parseAuditStatsQuery({ from: FROM, to: TO, bucket: 'day', groupBy: 'workflow' }, 'default');
        const stats = await new AuditQuery(kolkata).stats(query);
        expect(stats.items).toEqual([
          { start: '2001-04-03T00:00:00.000Z', group: 'fx-s1', success: 2, failure: 1 },
          { start: '2001-04-03T00:00:00.000Z', group: 'fx-s2', success: 1, failure: 1 },
          { start: '2001-04-04T00:00:00.000Z', group: 'fx-s1', success: 1, failure: 0 },
          { start: '2001-04-04T00:00:00.000Z', group: 'fx-s2', success: 1, failure: 1 },
        ]);
      } finally {
        await kolkata.destroy();
      }
    });

    it('groups entries without a value under null', async () => {
      const response = await get(`/v1/audit/stats?from=${FROM}&to=${TO}&bucket=day&groupBy=agentId`);
      expect(response.body.items).toContainEqual({
        start: '2001-04-04T00:00:00.000Z',
        group: null,
        success: 0,
        failure: 1,
      });
    });

    it.each([
      ['no from', `to=${TO}`, '$.query.from'],
      ['no to', `from=${FROM}`, '$.query.to'],
      ['from after to', `from=${TO}&to=${FROM}`, '$.query.from'],
      ['an unknown bucket', `from=${FROM}&to=${TO}&bucket=week`, '$.query.bucket'],
      ['an unknown groupBy', `from=${FROM}&to=${TO}&groupBy=target`, '$.query.groupBy'],
      ['more than 10,000 buckets', `from=2001-01-01&to=2001-01-08&bucket=minute`, '$.query.bucket'],
      ['an unknown parameter', `from=${FROM}&to=${TO}&limit=5`, '$.query.limit'],
    ])('answers 400 problem+json for %s', async (_, query, path) => {
      const response = await get(`/v1/audit/stats?${query}`);
      expect(response.status).toBe(400);
      expect(response.contentType).toContain('application/problem+json');
      expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    });
  });

  describe('GET /v1/audit/export', () => {
    const ROWS = 2345;
    const RUNS = [randomUUID(), randomUUID(), randomUUID()];

    beforeAll(async () => {
      await stack.db.query(
        `INSERT INTO audit_entries (tenant, at, operation, run_id, workflow, agent_id, user_id, success, error, details)
         SELECT 'default', timestamptz '2001-03-01 00:00:00+00' + g * interval '1 second' + (g % 7) * interval '1 millisecond',
                (ARRAY['node.started', 'token.used', 'node.failed'])[g % 3 + 1], ($1::uuid[])[g % 3 + 1], 'fx-export', 'fx-export-agent', 'fx-user-' || (g % 4),
                g % 3 <> 2, CASE WHEN g % 3 = 2 THEN E'boom\\n"quoted"\\u2028' END, jsonb_build_object('g', g, 'text', E'line\\nbreak')
         FROM generate_series(1, ${ROWS}) AS g`,
        [RUNS],
      );
    });

    async function exportOf(query: string): Promise<{ response: Response; lines: string[]; chunks: number }> {
      const response = await fetch(url(`/v1/audit/export?${query}`), {
        headers: { authorization: `Bearer ${auditor}` },
      });
      let text = '';
      let chunks = 0;
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        chunks++;
        text += decoder.decode(chunk, { stream: true });
      }
      const lines = text.split('\n');
      expect(lines.pop()).toBe(''); // every line ends with \n
      return { response, lines, chunks };
    }

    it('streams every matching entry as NDJSON, chunked, in the list order', async () => {
      const { response, lines, chunks } = await exportOf('agentId=fx-export-agent&format=ndjson');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-ndjson');
      expect(response.headers.get('transfer-encoding')).toBe('chunked');
      expect(response.headers.get('content-length')).toBeNull();
      expect(chunks).toBeGreaterThan(1);
      expect(lines).toHaveLength(ROWS);
      const entries = lines.map((line) => JSON.parse(line));
      expect(entries.map((e) => e.id)).toEqual(await sqlIds(`agent_id = 'fx-export-agent'`, []));
      expect(entries.find((e) => e.operation === 'node.failed')).toMatchObject({
        success: false,
        error: 'boom\n"quoted"\u2028',
        workflow: 'fx-export',
      });
      expect(Object.keys(entries[0])).toEqual([
        'id',
        'at',
        'tenant',
        'operation',
        'runId',
        'nodeId',
        'workflow',
        'agentId',
        'userId',
        'issuer',
        'scopes',
        'target',
        'success',
        'error',
        'details',
      ]);
    });

    it('takes the same filters and order as the list', async () => {
      const { lines } = await exportOf(
        'workflow=fx-export&operation=node.failed&operation=token.used&success=false&userId=fx-user-1&order=asc&from=2001-03-01T00:10:00Z&to=2001-03-02',
      );
      const expected = await sqlIds(
        `workflow = 'fx-export' AND operation IN ('node.failed', 'token.used') AND NOT success AND user_id = 'fx-user-1' AND at >= '2001-03-01T00:10:00Z' AND at < '2001-03-02'`,
        [],
        'asc',
      );
      expect(expected.length).toBeGreaterThan(100);
      expect(lines.map((l) => JSON.parse(l).id)).toEqual(expected);
      expect((await exportOf('agentId=nobody')).lines).toEqual([]);
    });

    it('answers 400 problem+json for bad parameters before streaming anything', async () => {
      for (const [query, path] of [
        ['format=csv', '$.query.format'],
        ['limit=10', '$.query.limit'],
        ['operation=bogus', '$.query.operation.0'],
        ['from=2001-03-02&to=2001-03-01', '$.query.from'],
      ]) {
        const response = await get(`/v1/audit/export?${query}`);
        expect(response.status).toBe(400);
        expect(response.contentType).toContain('application/problem+json');
        expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      }
    });

    it('stops reading the database when the client goes away, and the API carries on', async () => {
      const controller = new AbortController();
      const response = await fetch(url('/v1/audit/export?workflow=fx-export'), {
        headers: { authorization: `Bearer ${auditor}` },
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      await expect(reader.read()).rejects.toThrow();
      expect((await get('/v1/audit?limit=1')).status).toBe(200);

      // The service itself: an aborted export asks for no further batch.
      const options = dataSourceOptions(stack.config.databaseUrl, entities);
      const dataSource = await new DataSource(options).initialize();
      try {
        const statements: string[] = [];
        const counting = new Proxy(dataSource, {
          get: (target, key) =>
            key === 'query'
              ? (text: string, values: unknown[]) => (statements.push(text), target.query(text, values))
              : Reflect.get(target, key),
        });
        const abort = new AbortController();
        const batches: number[] = [];
        for await (const batch of new AuditQuery(counting).export(
          parseAuditExportQuery({ workflow: 'fx-export' }, 'default'),
          {
            batchSize: 100,
            signal: abort.signal,
          },
        )) {
          batches.push(batch.length);
          abort.abort();
        }
        expect(batches).toEqual([100]);
        expect(statements.filter((s) => s.includes('FROM audit_entries'))).toHaveLength(1);
      } finally {
        await dataSource.destroy();
      }
    });
  });
});
