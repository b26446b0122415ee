// The dashboard in a real headless chromium (playwright-core + Debian's chromium) against a real daemon serving the
// real MobileNetV2 int8 over self-signed TLS: sign in with the admin key, see the service Healthy, classify an image
// from ../shared, regenerate a key and see the old one refused, read a model's stages; keyboard, labels, contrast,
// and 1280 / 390 px widths. TACHYON_UPDATE_SCREENSHOTS=1 refreshes docs/screenshots/.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { test } from 'node:test';
import { readDaemonInfo, daemonPaths } from '@tachyon-serve/server';
import { launchBrowser, lowContrast, overflowsX, screenshot, unnamedControls } from './support/browser.js';
import { classifyDirect, dashboardWorkspace } from './support/dashboard-fixture.js';
import { sampleImagePath, waitUntil } from '@tachyon-serve/test-support';

const TENCH = sampleImagePath('n01440764_tench.JPEG');
const GOLDFISH = sampleImagePath('n01443537_goldfish.JPEG');

test('the dashboard: sign in, service, try it, keys, model stages, accessibility basics', {
  timeout: 600_000,
}, async (t) => {
  const ws = await dashboardWorkspace(t, 'fish');
  const info = await readDaemonInfo(daemonPaths(ws.dir));
  const base = `${info!.url}/ui/`;

  await t.test('the page is open, its API needs the admin key, files stay inside the folder', async () => {
    const page = await fetch(base);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const html = await page.text();
    const asset = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'index.html names its hashed script');
    const js = await fetch(`${info!.url}${asset}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${info!.url}/ui`, { redirect: 'manual' })).headers.get('location'), '/ui/');
    for (const path of [
      '/ui/..%2f..%2fpackage.json',
      '/ui/assets/..%2F..%2F..%2Fpackage.json',
      '/ui/%2e%2e/%2e%2e/package.json',
      '/ui/assets/../../package.json',
      '/ui/.vite/manifest.json',
    ]) {
      assert.equal(await rawGet(info!.url, path), 404, path);
    }
    const anonymous = await fetch(`${base}api/overview`);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { code: string }).code, 'TCH_ERR_AUTH_MISSING');
    const wrong = await fetch(`${base}api/overview`, { headers: { authorization: `Bearer ${'x'.repeat(43)}` } });
    assert.equal(((await wrong.json()) as { code: string }).code, 'TCH_ERR_AUTH_INVALID');
    const ok = await fetch(`${base}api/overview`, { headers: { authorization: `Bearer ${ws.adminKey}` } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    // The daemon API itself still wants the daemon token, not the admin key.
    assert.equal(
      (await fetch(`${info!.url}/v1/services`, { headers: { authorization: `Bearer ${ws.adminKey}` } })).status,
      401,
    );
  });

  const browser = await launchBrowser(t);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (dialog) => void dialog.accept());

  await t.test('sign in with the admin key (a wrong key is refused; the key never reaches the URL)', async () => {
    await page.goto(base);
    const input = page.getByLabel('Workspace admin key');
    await input.waitFor();
    assert.equal(await input.evaluate((el) => el === document.activeElement), true, 'the key field has focus');
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate(() => document.activeElement?.textContent),
      'Sign in',
      'Tab goes from the key to the button',
    );
    await screenshot(page, 'login');
    await input.fill('not-the-key');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'not the admin key' }).waitFor();
    await input.fill(ws.adminKey);
    await input.press('Enter');
    await page.getByRole('heading', { name: 'Workspace overview' }).waitFor();
    assert.ok(!page.url().includes(ws.adminKey), 'the key is not in the URL');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('tachyon.adminKey')), ws.adminKey);
  });

  await t.test('the overview lists the service Healthy with its ports, and the model with its version', async () => {
    const services = page.getByRole('region', { name: 'Services' });
    const row = services.getByRole('row').filter({ has: page.getByRole('link', { name: 'fish', exact: true }) });
    await row.getByText('Healthy').waitFor();
    const port = new URL(ws.service.httpUrl!).port;
    assert.ok((await row.textContent())!.includes(port), 'the HTTP port is shown');
    await page.getByRole('link', { name: 'mnv2:1' }).first().waitFor();
    assert.equal((await page.getByText('service-definition').count()) > 0, true);
    assert.equal(await overflowsX(page), false);
    await screenshot(page, 'overview');
  });

  await t.test('keyboard: the skip link comes first and moves focus to the content', async () => {
    await page.goto(base); // signed in already (session storage): a fresh load starts focus at the top
    await page.getByRole('region', { name: 'Services' }).getByRole('link', { name: 'fish', exact: true }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    assert.equal(new URL(page.url()).hash, '', 'the skip link leaves the route alone');
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
      'Services',
      'then the services table region',
    );
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'fish');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'fish', level: 1 }).waitFor();
  });

  await t.test(
    'service page: Healthy with its state history; Try it classifies the tench with its latency',
    async () => {
      await page.locator('.state-line').getByText('Healthy').waitFor();
      await page.getByRole('region', { name: 'State changes, newest first' }).getByText('Healthy').first().waitFor();
      await page.locator('#try-image').setInputFiles(TENCH);
      const top1 = page.locator('.top-k li.top-1 .label');
      await top1.waitFor();
      assert.equal(await top1.textContent(), 'tench');
      assert.equal(await page.locator('.top-k li').count(), 5);
      const latency = Number(await page.locator('[data-latency]').getAttribute('data-latency'));
      assert.ok(latency > 0, `latency ${latency}`);
      assert.match((await page.locator('.latency').textContent())!, /compute/);
      // A second image through the same control: the results are replaced.
      await page.locator('#try-image').setInputFiles(GOLDFISH);
      await page.locator('.top-k li.top-1 .label', { hasText: 'goldfish' }).waitFor();
    },
  );

  await t.test('service page: charts and the per-stage breakdown come from the service metrics', async () => {
    await waitUntil(
      async () =>
        /\b[1-9]\d* requests in the last hour/.test((await page.locator('figcaption').nth(1).textContent()) ?? ''),
      'the throughput chart counts the calls',
    );
    assert.equal((await page.locator('.chart canvas').count()) >= 2, true, 'two uPlot canvases');
    const stages = page.getByRole('region', { name: 'Latency by stage (successful requests)' });
    for (const stage of ['queue', 'preprocess', 'compute', 'postprocess', 'total'])
      await stages.getByRole('rowheader', { name: stage, exact: true }).waitFor();
    await page
      .getByRole('region', { name: 'Requests by result code' })
      .getByRole('rowheader', { name: 'OK' })
      .waitFor();
    await page.locator('pre.logs').filter({ hasText: /\S/ }).waitFor();
    assert.deepEqual(await unnamedControls(page), []);
    const contrast = (
      await Promise.all(
        ['p', 'a', 'th', 'td', 'button', 'label', '.badge', '.help', 'caption', 'dt', 'figcaption', '.score'].map((s) =>
          lowContrast(page, s),
        ),
      )
    ).flat();
    assert.deepEqual(contrast, []);
    await screenshot(page, 'service');
  });

  await t.test(
    'keys: regenerate the primary key in the page; the old key is refused by the service, the new one works',
    async () => {
      const field = page.locator('#key-primary');
      const old = await field.inputValue();
      assert.equal(old, (await ws.daemon.getKeys('fish')).primary);
      assert.equal(await field.getAttribute('type'), 'password', 'hidden until shown');
      await page.getByRole('button', { name: 'Show' }).first().click();
      assert.equal(await field.getAttribute('type'), 'text');
      assert.equal(await classifyDirect(ws.service, old, TENCH), 200);
      await page.getByRole('button', { name: 'Regenerate the primary key' }).click();
      await page.getByRole('status').filter({ hasText: 'primary key was regenerated' }).waitFor();
      const fresh = await field.inputValue();
      assert.notEqual(fresh, old);
      assert.equal(fresh, (await ws.daemon.getKeys('fish')).primary);
      assert.equal(await classifyDirect(ws.service, old, TENCH), 401);
      assert.equal(await classifyDirect(ws.service, fresh, TENCH), 200);
    },
  );

  await t.test('model page: the stages of the service definition with tensor shapes, sizes and sha256', async () => {
    await page.getByRole('link', { name: 'mnv2:1' }).first().click();
    await page.getByRole('heading', { name: 'mnv2:1', level: 1 }).waitFor();
    const stages = page.locator('ol.stages > li');
    await stages.first().waitFor();
    // defaultClassifier() is saved as the ImageNet head (an ONNX stage) and the labelled top-k.
    const kinds = await page.locator('ol.stages .kind').allTextContents();
    assert.deepEqual(kinds, ['image', 'featurizer', 'onnx', 'classifier']);
    assert.match((await stages.nth(0).textContent())!, /\[\?, 3, 224, 224\]/, 'the image stage output shape');
    assert.match(
      (await stages.nth(1).textContent())!,
      /\[\?, 3, 224, 224\]/,
      'the featurizer input shape from its ONNX graph',
    );
    assert.match((await stages.nth(1).textContent())!, /mobilenetv2-int8/);
    assert.match((await stages.nth(1).textContent())!, /[0-9a-f]{64}/, 'the file sha256');
    assert.match((await stages.nth(2).textContent())!, /, 1000\]/, 'the head outputs 1000 scores');
    assert.match((await stages.nth(3).textContent())!, /topK/);
    assert.deepEqual(await unnamedControls(page), []);
    await screenshot(page, 'model');
  });

  await t.test('390 px wide: no page-wide horizontal scrolling on any page', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    assert.equal(await overflowsX(page), false, 'model page');
    await screenshot(page, 'model-390');
    await page.goto(`${base}#/services/fish`);
    await page.locator('.state-line').getByText('Healthy').waitFor();
    await page.locator('#try-image').setInputFiles(TENCH);
    await page.locator('.top-k li.top-1 .label', { hasText: 'tench' }).waitFor();
    assert.equal(await overflowsX(page), false, 'service page');
    await screenshot(page, 'service-390');
    await page.goto(`${base}#/`);
    await page.getByRole('region', { name: 'Services' }).getByRole('link', { name: 'fish', exact: true }).waitFor();
    assert.equal(await overflowsX(page), false, 'overview');
    await screenshot(page, 'overview-390');
  });

  await t.test('sign out forgets the key', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Workspace admin key').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('tachyon.adminKey')), null);
  });

  assert.deepEqual(pageErrors, [], 'no script error in the page');
});

/** GET with the path sent exactly as written (fetch would normalize `..` away). */
function rawGet(base: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((done, fail) => {
    http
      .get({ hostname, port, path, agent: false }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      })
      .on('error', fail);
  });
}
