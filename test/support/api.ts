import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { createApiApp } from '../../apps/api/src/bootstrap.js';
import { assertKeepsContract } from './contract.js';
import type { BatonConfig } from '../../libs/platform/src/index.js';

/** The API app, in this process, on a loopback port: the same stack main.ts builds. */
export interface RunningApi {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

export async function startApi(config: BatonConfig): Promise<RunningApi> {
  const app = await createApiApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** Small fetch wrapper for tests: JSON in, `{status, headers, body}` out; every answer is checked against the API's declared contract. */
export async function call(
  url: string,
  init: { method?: string; token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any; contentType: string }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined = init.rawBody;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  } else if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  const contentType = response.headers.get('content-type') ?? '';
  const method = init.method ?? (body === undefined ? 'GET' : 'POST');
  await assertKeepsContract(url, method, response.status, contentType, parsed);
  return { status: response.status, headers: response.headers, body: parsed, contentType };
}
