// The bad-input corpus (all but slowloris, which takes the server's 60-90 s request timeout) against a real HTTPS
// `tachyon serve` process: every kind gets its documented code and status, and the server serves after each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BAD_INPUT_KINDS } from '../src/bad-input-corpus.js';
import { documentedStatus } from '../src/documented-codes.js';
import { runCorpus } from '../src/run-corpus.js';
import { tempDir } from '@tachyon-serve/test-support';

test('the corpus has at least 20 kinds, each expecting a documented code (or a TLS-level close)', () => {
  assert.ok(BAD_INPUT_KINDS.length >= 20, `only ${BAD_INPUT_KINDS.length} kinds`);
  assert.equal(new Set(BAD_INPUT_KINDS.map((k) => k.id)).size, BAD_INPUT_KINDS.length, 'kind ids are unique');
  for (const kind of BAD_INPUT_KINDS) {
    if (kind.expected === 'closed') continue;
    assert.notEqual(
      documentedStatus(kind.expected),
      undefined,
      `${kind.id}: ${kind.expected} is not in docs/errors.md with the kind of the table`,
    );
  }
});

test('every bad input gets its documented answer from a real server, which keeps serving after each', async (t) => {
  const result = await runCorpus({ workDir: tempDir(t, 'tachyon-reliability-test-') });
  const expectedKinds = BAD_INPUT_KINDS.filter((k) => k.slow !== true).map((k) => k.id);
  assert.deepEqual(
    result.kinds.map((k) => k.id),
    expectedKinds,
  );
  for (const kind of result.kinds) {
    assert.ok(
      kind.answered,
      `${kind.id}: expected ${kind.expected} (${kind.expectedStatus}), got ${JSON.stringify(kind.observed)}`,
    );
    assert.ok(kind.servingAfter, `${kind.id}: the server did not serve a good request afterwards`);
  }
  assert.equal(result.crashes, 0);
  assert.ok(result.peakRssBytes > 0, 'the server RSS was sampled');
});
