import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { CheckList, type Check } from '../src/check.js';

export function tempDir(t: TestContext, prefix = 'tachyon-reliability-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A CheckList and a lookup that fails loudly when a check is missing. */
export function checkList(): { checks: CheckList; get(id: string): Check } {
  const checks = new CheckList();
  return {
    checks,
    get(id) {
      const found = checks.checks.find((c) => c.id === id);
      if (found === undefined) throw new Error(`no check "${id}" was recorded (have: ${checks.checks.map((c) => c.id).join(', ')})`);
      return found;
    },
  };
}
