/** The expense reports the demo API serves: a few fixed reports, kept in memory. */
export interface ExpenseReport {
  id: string;
  employee: string;
  title: string;
  currency: string;
  total: number;
  status: 'draft' | 'submitted';
}

export interface Submission {
  reportId: string;
  status: 'submitted';
  total: unknown;
  submittedAt: string;
}

const SEED: readonly ExpenseReport[] = [
  { id: 'R-1042', employee: 'alice', title: 'Team offsite, Lisbon', currency: 'EUR', total: 312.5, status: 'draft' },
  { id: 'R-1043', employee: 'alice', title: 'Conference ticket', currency: 'EUR', total: 899, status: 'draft' },
  { id: 'R-2001', employee: 'bob', title: 'Client dinner', currency: 'USD', total: 148.2, status: 'draft' },
];

/**
 * Reports by id, and their submissions by `Idempotency-Key`: a repeated submit with the same key
 * (a worker retrying after a crash) answers the first result and changes nothing.
 */
export class ExpenseReports {
  private readonly reports = new Map(SEED.map((r) => [r.id, { ...r }]));
  private readonly submissions = new Map<string, Submission>();

  find(id: string): ExpenseReport | undefined {
    const report = this.reports.get(id);
    return report && { ...report };
  }

  /** The receipt on file for a report (what the demo's receipts agent checks); undefined when there is no such report. */
  receipt(id: string): { reportId: string; file: string; total: number; matchesReport: boolean } | undefined {
    const report = this.reports.get(id);
    return report && { reportId: id, file: `receipt-${id}.pdf`, total: report.total, matchesReport: true };
  }

  /** Undefined when there is no such report. */
  submit(
    id: string,
    total: unknown,
    idempotencyKey: string | undefined,
  ): { submission: Submission; replayed: boolean } | undefined {
    const report = this.reports.get(id);
    if (!report) return undefined;
    const earlier = idempotencyKey === undefined ? undefined : this.submissions.get(idempotencyKey);
    if (earlier) return { submission: earlier, replayed: true };
    report.status = 'submitted';
    const submission: Submission = { reportId: id, status: 'submitted', total, submittedAt: new Date().toISOString() };
    if (idempotencyKey !== undefined) this.submissions.set(idempotencyKey, submission);
    return { submission, replayed: false };
  }
}
