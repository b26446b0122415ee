import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { checkBudget, estimateBytes, memoryBudget } from '../../src/serving/model-budget.js';
import { compileModelControlOptions } from '../../src/serving/model-control-options.js';

test('budget: file size x (workers + 1); bytes and version count are both checked', () => {
  assert.equal(estimateBytes(1000, 3), 4000);
  assert.ok(memoryBudget(compileModelControlOptions()) > 0, 'default: 80% of total memory');
  const config = compileModelControlOptions({ memoryBudgetBytes: 10_000, maxLoadedVersions: 2 });
  checkBudget('m', config, { bytes: 6000, versions: 1 }, { bytes: 4000, versions: 1 });
  assert.throws(
    () => checkBudget('m', config, { bytes: 6001, versions: 1 }, { bytes: 4000, versions: 1 }),
    (e: unknown) =>
      isTachyonError(e, 'TCH_ERR_MODEL_BUDGET_EXCEEDED') &&
      e.details?.['needed'] === 4000 &&
      e.details?.['available'] === 3999,
  );
  assert.throws(
    () => checkBudget('m', config, { bytes: 0, versions: 2 }, { bytes: 1, versions: 1 }),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_MODEL_BUDGET_EXCEEDED') && e.details?.['maxLoadedVersions'] === 2,
  );
});
