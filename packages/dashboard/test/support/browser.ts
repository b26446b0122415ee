import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '@tachyon-serve/test-support';

/** Debian's chromium (scripts/ci-deps.sh installs it), or $TACHYON_CHROMIUM; Playwright's own download is not used. */
export function chromiumPath(): string {
  const candidates = [
    process.env['TACHYON_CHROMIUM'],
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ];
  const found = candidates.find((c) => c !== undefined && c !== '' && existsSync(c));
  if (found === undefined)
    throw new Error("no chromium found: run scripts/ci-deps.sh (installs Debian's chromium) or set TACHYON_CHROMIUM");
  return found;
}

/** A headless chromium closed after the test. */
export async function launchBrowser(t: TestContext): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--disable-dev-shm-usage', '--disable-gpu'],
  });
  t.after(() => browser.close());
  return browser;
}

/** Screenshots go to docs/screenshots/ only when TACHYON_UPDATE_SCREENSHOTS=1 (the committed set is refreshed then). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env['TACHYON_UPDATE_SCREENSHOTS'] !== '1') return;
  const dir = join(REPO_ROOT, 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** Whether the page scrolls sideways (it must not: wide tables scroll inside their own region). */
export const overflowsX = (page: Page): Promise<boolean> =>
  page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);

/**
 * Controls without an accessible name: inputs without a label (or aria-label), buttons and links without text.
 * Returns a description of each, so a failure says which.
 */
export const unnamedControls = (page: Page): Promise<string[]> =>
  page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea, button, a[href]'))) {
      const labelled = (el as HTMLInputElement).labels?.length
        ? Array.from((el as HTMLInputElement).labels!).some((l) => (l.textContent ?? '').trim() !== '')
        : false;
      const name =
        el.getAttribute('aria-label') ??
        el.getAttribute('aria-labelledby') ??
        (el.tagName === 'INPUT' ? '' : (el.textContent ?? '').trim());
      if (!labelled && (name === null || name === '')) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });

/**
 * WCAG contrast of the text of every element matching `selector` against its first opaque background (normal text
 * needs 4.5:1). Returns the failures as `selector "text": ratio`.
 */
export const lowContrast = (page: Page, selector: string): Promise<string[]> =>
  page.evaluate((sel) => {
    const parse = (c: string): number[] => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]): number => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const background = (el: Element | null): number[] => {
      for (let e = el; e !== null; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3]! > 0.9)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll(sel))) {
      if ((el.textContent ?? '').trim() === '' || (el as HTMLElement).offsetParent === null) continue;
      const fg = lum(parse(getComputedStyle(el).color));
      const bg = lum(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5) out.push(`${sel} "${(el.textContent ?? '').trim().slice(0, 30)}": ${ratio.toFixed(2)}`);
    }
    return out;
  }, selector);
