import { CheckList, type Check } from '../src/check.js';

/** A CheckList and a lookup that fails loudly when a check is missing. */
export function checkList(): { checks: CheckList; get(id: string): Check } {
  const checks = new CheckList();
  return {
    checks,
    get(id) {
      const found = checks.checks.find((c) => c.id === id);
      if (found === undefined)
        throw new Error(`no check "${id}" was recorded (have: ${checks.checks.map((c) => c.id).join(', ')})`);
      return found;
    },
  };
}
