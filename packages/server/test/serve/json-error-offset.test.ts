import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonErrorOffset, lineAndColumn } from '../../src/serve/json-error-offset.js';

test('jsonErrorOffset accepts exactly what JSON.parse accepts', () => {
  const texts = [
    '{}',
    ' [ ] ',
    '{"a": [1, -2.5e3, true, false, null, "x\\"\\u00e9\\n"], "b": {"c": {}}}',
    '0',
    '"s"',
    '',
    '{',
    '{"a" 1}',
    '{"a": 1,}',
    '[1 2]',
    '[01]',
    '{"a": tru}',
    '"\\x"',
    '"a\nb"',
    '{} {}',
    "{'a': 1}",
    '[1,]',
    '-',
    '1.',
    '{"a":1}}',
  ];
  for (const text of texts) {
    let parses = true;
    try {
      JSON.parse(text);
    } catch {
      parses = false;
    }
    assert.equal(jsonErrorOffset(text) === undefined, parses, JSON.stringify(text));
  }
});

test('jsonErrorOffset points at the first offending character; the end when the text stops early', () => {
  assert.equal(jsonErrorOffset('{"a": 1,}'), 8);
  assert.equal(jsonErrorOffset('{"a": tru}'), 6);
  assert.equal(jsonErrorOffset('{"a": [1, 2]'), 12);
  assert.equal(jsonErrorOffset('{"a":1}}'), 7);
  assert.deepEqual(lineAndColumn('{\n  "a": x\n}', 9), { line: 2, column: 8 });
});
