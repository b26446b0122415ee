import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GOLDFISH, MODEL_NAME, startTestServer } from '../serve/support/serve-fixture.js';
import { REPO_ROOT, sampleImagePath } from '@tachyon-serve/test-support';

// docs/monitoring: the Grafana dashboard and the PromQL of docs/observability.md name only metrics a live server
// exports, and parse (promtool check rules); the scrape config is valid (promtool check config).
const PROMTOOL = process.env['TACHYON_PROMTOOL'] ?? 'promtool';
const DASHBOARD = join(REPO_ROOT, 'docs', 'monitoring', 'grafana-dashboard.json');
const SCRAPE_CONFIG = join(REPO_ROOT, 'docs', 'monitoring', 'prometheus.yml');
const OBSERVABILITY_DOC = join(REPO_ROOT, 'docs', 'observability.md');

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}

/** Every PromQL expression of the dashboard (panels and variables) and of docs/observability.md's promql blocks. */
function expressions(): { where: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Panel[];
    templating: { list: { name: string; definition: string }[] };
  };
  const found = dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `dashboard panel "${p.title}"`, expr: t.expr })),
  );
  for (const v of dashboard.templating.list) {
    const inner = /^label_values\((\w+),\s*\w+\)$/.exec(v.definition);
    assert.ok(inner, `variable ${v.name}: label_values(metric, label)`);
    found.push({ where: `dashboard variable ${v.name}`, expr: inner[1]! });
  }
  for (const block of readFileSync(OBSERVABILITY_DOC, 'utf8').matchAll(/```promql\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n'))
      if (line.trim() !== '' && !line.startsWith('#'))
        found.push({ where: 'docs/observability.md', expr: line.trim() });
  }
  return found;
}

/** Grafana's variables replaced by what Prometheus would see. */
const toPromql = (expr: string): string => expr.replaceAll('$__rate_interval', '5m').replaceAll('$model', '.*');

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
]);

/** The metric names an expression selects: identifiers outside strings, matchers, ranges and grouping, not called. */
function metricNames(expr: string): string[] {
  const bare = toPromql(expr)
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)\s*(\()?/g)]
    .filter((m) => m[2] === undefined && !KEYWORDS.has(m[1]!))
    .map((m) => m[1]!);
}

/** The series names of a Prometheus text exposition, histograms and summaries with their suffixes. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name! + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name! + suffix);
  }
  return names;
}

test('every expression of the Grafana dashboard and of docs/observability.md names a metric a live server exports', async (t) => {
  const { server } = await startTestServer(t, { noAuth: true });
  const res = await fetch(`${server.httpUrl}/v1/services/${MODEL_NAME}/classify`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: readFileSync(sampleImagePath(GOLDFISH.file)),
  });
  assert.equal(res.status, 200);
  const exported = exportedNames(await (await fetch(`${server.httpUrl}/metrics`)).text());
  const all = expressions();
  assert.ok(all.length >= 15, `${all.length} expressions`);
  const used = new Set<string>();
  for (const { where, expr } of all) {
    const names = metricNames(expr);
    assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
    for (const name of names) {
      assert.ok(exported.has(name), `${where}: "${name}" is not a metric the server exports (${expr})`);
      used.add(name);
    }
  }
  for (const family of [
    'tachyon_requests_total',
    'tachyon_request_duration_seconds_bucket',
    'tachyon_request_stage_duration_seconds_bucket',
    'tachyon_batch_size_sum',
    'tachyon_queue_depth',
  ]) {
    assert.ok(used.has(family), `the dashboard shows ${family}`);
  }
});

test('the expressions parse as PromQL and the scrape config is valid (promtool)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-promtool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rules = {
    groups: [
      {
        name: 'docs',
        rules: expressions().map(({ expr }, i) => ({ record: `tachyon:docs_expression_${i}`, expr: toPromql(expr) })),
      },
    ],
  };
  writeFileSync(join(dir, 'rules.yml'), JSON.stringify(rules));
  const checkRules = spawnSync(PROMTOOL, ['check', 'rules', join(dir, 'rules.yml')], { encoding: 'utf8' });
  assert.equal(
    checkRules.error,
    undefined,
    `${PROMTOOL} could not run (scripts/ci-deps.sh installs it): ${String(checkRules.error)}`,
  );
  assert.equal(checkRules.status, 0, checkRules.stdout + checkRules.stderr);

  // The credentials file must exist for promtool: point the example at one beside the copy.
  const config = readFileSync(SCRAPE_CONFIG, 'utf8').replace(/credentials_file: \S+/, 'credentials_file: admin-key');
  writeFileSync(join(dir, 'admin-key'), 'k\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const checkConfig = spawnSync(PROMTOOL, ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
  assert.equal(checkConfig.status, 0, checkConfig.stdout + checkConfig.stderr);
});

test('metricNames finds the selected metrics only', () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (le, model) (rate(tachyon_request_duration_seconds_bucket{model=~"$model",code!="OK"}[$__rate_interval])))',
    ),
    ['tachyon_request_duration_seconds_bucket'],
  );
  assert.deepEqual(metricNames('sum(rate(a_total[5m])) / ignoring(stage) group_left sum(b)'), ['a_total', 'b']);
});
