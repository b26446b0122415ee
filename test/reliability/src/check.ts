/** One verified behaviour of the suite: what was expected, what was seen, whether they agree. */
export interface Check {
  id: string;
  title: string;
  expected: string;
  observed: string;
  pass: boolean;
  /** Extra facts for the report (counts, pids, times). */
  details?: Record<string, unknown>;
}

/** Collects checks; `check()` records one and returns whether it passed. */
export class CheckList {
  readonly checks: Check[] = [];
  constructor(private readonly onCheck?: (check: Check) => void) {}

  check(
    id: string,
    title: string,
    expected: string,
    observed: string,
    pass: boolean,
    details?: Record<string, unknown>,
  ): boolean {
    const check: Check = { id, title, expected, observed, pass, ...(details === undefined ? {} : { details }) };
    this.checks.push(check);
    this.onCheck?.(check);
    return pass;
  }

  /** Records a check whose code threw, as failed, with the error. */
  async guard(id: string, title: string, expected: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.check(id, title, expected, `error: ${(error as Error).message}`, false);
    }
  }
}
