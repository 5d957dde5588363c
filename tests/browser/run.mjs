// Headless Chromium against a running demo gateway (BROWSER_URL, e.g. http://127.0.0.1:8123):
// one browser, one context, three checks, one JSON line each ({"check", "ok", "detail"}).
//   landing      `/` names the personas and links GraphiQL and the example
//   graphiql     GET /graphql renders GraphiQL from the gateway's own assets, the persona
//                picker puts the parent's token into the headers, the example query runs and
//                its answer shows the children
//   parent-week  /example/ renders every child of the parent (as the API lists them) with
//                their week and marks; a homework toggle calls setHomeworkDone
// Every request the pages make is recorded: any URL that is not on a loopback host (or
// data:/blob:) fails the check it happened in. SCREENSHOTS=DIR also writes parent-week.png
// and graphiql.png there. CHROMIUM is the browser (default /usr/bin/chromium): Debian's,
// driven by playwright-core, never a downloaded one.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const base = (process.env.BROWSER_URL ?? '').replace(/\/$/, '');
if (!base) {
  console.error('run.mjs: BROWSER_URL is required');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const screenshots = process.env.SCREENSHOTS || '';
const only = (process.env.CHECKS || '').split(',').filter(Boolean);
const TIMEOUT = 20000;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
function isLocal(url) {
  if (url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') return true;
  try {
    return LOOPBACK.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

let failed = false;
function report(check, ok, detail) {
  if (!ok) failed = true;
  console.log(JSON.stringify({ check, ok, detail }));
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--no-first-run', '--disable-gpu'],
});
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const requests = [];
context.on('request', (request) => requests.push(request.url()));
// Anything not on loopback is refused outright (and recorded above): nothing may leave.
await context.route(
  (url) => !isLocal(url.href),
  (route) => route.abort('blockedbyclient'),
);

async function run(check, body) {
  if (only.length && !only.includes(check)) return;
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  const start = requests.length;
  const began = Date.now();
  try {
    const detail = await body(page);
    const mine = requests.slice(start);
    const remote = mine.filter((url) => !isLocal(url));
    if (remote.length) {
      report(check, false, `requests left the machine: ${remote.join(', ')}`);
    } else if (errors.length) {
      report(check, false, `page errors: ${errors.join('; ')}`);
    } else {
      report(check, true, `${detail}; ${mine.length} requests, all loopback; ${Date.now() - began} ms`);
    }
  } catch (error) {
    report(check, false, `${String(error).split('\n')[0]}; page errors: ${errors.join('; ') || 'none'}`);
  } finally {
    await page.close();
  }
}

async function parentChildren() {
  const personas = await (await fetch(`${base}/demo/personas.json`)).json();
  const parent = personas.personas.find((p) => p.name === 'parent');
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${parent.token}` },
    body: JSON.stringify({ query: '{ me { children { fullName } } }' }),
  });
  const body = await response.json();
  return body.data.me.children.map((c) => c.fullName);
}

if (screenshots) mkdirSync(screenshots, { recursive: true });

await run('landing', async (page) => {
  await page.goto(`${base}/`, { timeout: TIMEOUT });
  const text = await page.textContent('body');
  for (const needed of ['parent', 'teacher@CODE'.replace('CODE', '77'), 'GraphiQL']) {
    if (!text.includes(needed)) throw new Error(`landing page lacks ${needed}`);
  }
  const links = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href')));
  for (const needed of ['graphql', 'example/']) {
    if (!links.includes(needed)) throw new Error(`landing page does not link ${needed}: ${links}`);
  }
  return `links ${links.join(', ')}`;
});

await run('graphiql', async (page) => {
  await page.goto(`${base}/graphql`, { timeout: TIMEOUT });
  await page.waitForSelector('.graphiql-container', { timeout: TIMEOUT });
  await page.waitForFunction(() => document.querySelector('#persona')?.value === 'parent', null, {
    timeout: TIMEOUT,
  });
  // the header editor shows the parent's token
  await page.waitForFunction(
    () => [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')].some((e) => e.CodeMirror?.getValue().includes('Bearer ey')),
    null,
    { timeout: TIMEOUT },
  );
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => (document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '').includes('"lessons"'),
    null,
    { timeout: TIMEOUT },
  );
  const result = await page.evaluate(() => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue());
  const answer = JSON.parse(result);
  const children = answer.data.me.children.map((c) => c.fullName);
  const lessons = answer.data.me.children.flatMap((c) => c.diary.days.flatMap((d) => d.lessons)).length;
  if (children.length < 1 || lessons < 1) throw new Error(`no data: ${result.slice(0, 300)}`);
  if (screenshots) await page.screenshot({ path: join(screenshots, 'graphiql.png') });
  return `ran the example query: ${children.length} children, ${lessons} lessons`;
});

await run('parent-week', async (page) => {
  const expected = await parentChildren();
  await page.goto(`${base}/example/`, { timeout: TIMEOUT });
  await page.waitForSelector('[data-testid=child]', { timeout: TIMEOUT });
  const shown = await page.$$eval('[data-testid=child]', (cards) =>
    cards.map((card) => ({
      name: card.dataset.name,
      days: card.querySelectorAll('[data-testid=day]').length,
      marks: card.querySelectorAll('[data-testid=mark]').length,
    })),
  );
  const names = shown.map((s) => s.name);
  if (JSON.stringify(names) !== JSON.stringify(expected)) {
    throw new Error(`children shown ${JSON.stringify(names)}, the API lists ${JSON.stringify(expected)}`);
  }
  const empty = shown.filter((s) => s.days < 5 || s.marks < 1);
  if (empty.length) throw new Error(`a child's week without days or marks: ${JSON.stringify(empty)}`);
  const comments = await page.$$eval('[data-testid=mark-comment]', (cs) => cs.length);
  // the done toggle: a Moscow child's homework (МЭШ can mark homework done)
  const toggle = page
    .locator('[data-testid=child]', { hasText: 'регион 77' })
    .first()
    .locator('[data-testid=homework-done]')
    .first();
  const before = await toggle.isChecked();
  await toggle.click();
  await page.waitForFunction(
    ([want]) => {
      const box = [...document.querySelectorAll('[data-testid=child]')]
        .find((c) => c.textContent.includes('регион 77'))
        ?.querySelector('[data-testid=homework-done]');
      return box && box.checked === want && !box.disabled;
    },
    [!before],
    { timeout: TIMEOUT },
  );
  if (screenshots) {
    await toggle.click(); // back as it was, for the screenshot
    await page.waitForTimeout(300);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(screenshots, 'parent-week.png'), fullPage: false });
  }
  return `${shown.map((s) => `${s.name}: ${s.days} days, ${s.marks} marks`).join('; ')}; ${comments} comments; homework toggled ${before} → ${!before}`;
});

await browser.close();
process.exit(failed ? 1 : 0);
