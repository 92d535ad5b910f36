import type { INestApplication } from '@nestjs/common';
import { createWorkerApp } from '../../apps/worker/src/bootstrap.js';
import type { BatonConfig } from '../../libs/platform/src/index.js';

/** The worker app in this process (processors, sweeper), as main.ts builds it. */
export async function startWorker(config: BatonConfig): Promise<INestApplication> {
  const app = await createWorkerApp(config);
  await app.listen(0, '127.0.0.1');
  return app;
}
