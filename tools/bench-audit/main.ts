import { runAuditBench } from './bench-audit.js';

// Standalone: `npm run build && node dist/tools/bench-audit/main.js`.
// BENCH_AUDIT_ENTRIES changes the seeded size; BENCH_AUDIT_KEEP=1 keeps the database for EXPLAIN by hand.
await runAuditBench({
  entries: process.env.BENCH_AUDIT_ENTRIES ? Number(process.env.BENCH_AUDIT_ENTRIES) : undefined,
  iterations: process.env.BENCH_AUDIT_ITERATIONS ? Number(process.env.BENCH_AUDIT_ITERATIONS) : undefined,
  keepDatabase: process.env.BENCH_AUDIT_KEEP === '1',
});
