import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quoteEntryName, unsafeEntryName, unsafeEntryType } from '../../src/service-def/zip-entry-checks.js';

test('entry names: plain relative paths pass, everything that could escape is refused', () => {
  for (const ok of ['service.json', 'models/a.onnx', 'a/b/c.bin', 'models/', 'weird name ü.txt'])
    assert.equal(unsafeEntryName(ok), undefined, ok);
  const refused: [string, RegExp][] = [
    ['', /empty/],
    ['../x', /'\.\.'/],
    ['a/../../x', /'\.\.'/],
    ['a/..', /'\.\.'/],
    ['/etc/passwd', /absolute/],
    ['C:/x', /drive letter/],
    ['c:x', /drive letter/],
    ['a\\b', /backslash/],
    ['\\\\server\\share', /backslash/],
    ['a//b', /empty or '\.'/],
    ['./a', /empty or '\.'/],
    ['a\u0000b', /control character/],
  ];
  for (const [name, why] of refused) assert.match(unsafeEntryName(name) ?? '', why, JSON.stringify(name));
});

test('entry types: regular files and directories pass; symlinks, devices, encryption and odd methods do not', () => {
  const entry = (mode: number, flag = 0, method = 8) => ({
    externalFileAttributes: (mode << 16) >>> 0,
    generalPurposeBitFlag: flag,
    compressionMethod: method,
  });
  assert.equal(unsafeEntryType(entry(0o100644)), undefined);
  assert.equal(unsafeEntryType(entry(0o040755)), undefined);
  assert.equal(unsafeEntryType(entry(0)), undefined); // DOS-made zips carry no unix mode
  assert.equal(unsafeEntryType(entry(0o120777)), 'is a symbolic link');
  assert.match(unsafeEntryType(entry(0o020644)) ?? '', /special file/);
  assert.match(unsafeEntryType(entry(0o010644)) ?? '', /special file/);
  assert.equal(unsafeEntryType(entry(0o100644, 1)), 'is encrypted');
  assert.match(unsafeEntryType(entry(0o100644, 0, 14)) ?? '', /compression method 14/);
});

test('names in messages are quoted and escaped when unprintable', () => {
  assert.equal(quoteEntryName('a/b.onnx'), "'a/b.onnx'");
  assert.equal(quoteEntryName('a\nb'), '"a\\nb"');
  assert.equal(quoteEntryName("it's"), '"it\'s"');
});
