// A new cardholder's walk through the H5 app in real headless Chromium (Debian's package,
// driven by playwright-core; no browser is downloaded). It starts `cardlife serve` in
// development mode over a fresh data folder, then: /app → register (reading the code from
// /dev/sms) → home → English → elder mode → me → logout → log in with the password.
// Screenshots of each step (mobile viewport 390×844) go to the folder it prints.
// See docs/web.md, "Browser tests".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const chromiumPath = process.env.CARDLIFE_CHROMIUM || '/usr/bin/chromium';
const binary =
  process.env.CARDLIFE_BIN ||
  join(process.env.CARGO_TARGET_DIR || join(repo, 'target'), 'debug', 'cardlife');
const shots = resolve(process.env.CARDLIFE_SCREENSHOTS || join(repo, 'target', 'screenshots'));
const VIEWPORT = { width: 390, height: 844 };

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function waitForHealth(base, server, ms = 30_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (server.exitCode !== null) throw new Error(`cardlife serve exited with ${server.exitCode}`);
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`cardlife serve did not answer /health within ${ms} ms`);
}

/** Starts `cardlife serve` in development mode over a fresh data folder. */
async function startServer() {
  assert.ok(existsSync(binary), `no cardlife binary at ${binary} (build it, or set CARDLIFE_BIN)`);
  const data = mkdtempSync(join(tmpdir(), 'cardlife-walk-'));
  const port = await freePort();
  const server = spawn(binary, ['serve'], {
    cwd: data,
    env: {
      ...process.env,
      CARDLIFE_DEV: '1',
      CARDLIFE_LISTEN: `127.0.0.1:${port}`,
      DATABASE_URL: process.env.CARDLIFE_WALK_DATABASE_URL || `sqlite://${join(data, 'cardlife.db')}`,
      RUST_LOG: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(base, server);
  return {
    base,
    stop() {
      server.kill('SIGTERM');
      rmSync(data, { recursive: true, force: true });
    },
  };
}

test('a new cardholder registers, switches language and elder mode, logs out and back in', async (t) => {
  mkdirSync(shots, { recursive: true });
  console.log(`screenshots: ${shots}`);
  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--disable-gpu', '--disable-quic', '--disable-sync', '--no-first-run'],
  });
  t.after(async () => {
    await browser.close();
    server.stop();
  });
  const context = await browser.newContext({
    viewport: VIEWPORT,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    baseURL: server.base,
  });
  const page = await context.newPage();
  // Every console error (a CSP violation, a script that failed to load) fails the walk.
  const problems = [];
  // A refused form answers 422 on purpose; Chromium logs that as a failed load, which is not one.
  const expected = /status of 422/;
  page.on('console', (m) => m.type() === 'error' && !expected.test(m.text()) && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  const phone = `139${String(Date.now()).slice(-8)}`;
  const masked = `${phone.slice(0, 3)}****${phone.slice(-4)}`;
  const password = 'walk-Password-2026';

  await t.test('/app without a session shows the login page in Chinese', async () => {
    await page.goto('/app');
    assert.match(new URL(page.url()).pathname, /^\/app\/login$/);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    await page.getByRole('heading', { name: '登录' }).waitFor();
    await shot('01-login-zh');
  });

  await t.test('registration sends a code that /dev/sms shows', async () => {
    await page.click('[data-test=to-register]');
    await page.fill('input[name=phone]', phone);
    await page.click('[data-test=send-code]');
    await page.locator('[data-test=sent]').waitFor();
    assert.match(await page.textContent('[data-test=sent]'), new RegExp(masked.replace(/\*/g, '\\*')));

    const outbox = await context.newPage();
    await outbox.goto('/dev/sms');
    const code = (await outbox.locator(`tr[data-phone="${masked}"] td.code`).first().textContent()).trim();
    assert.match(code, /^\d{6}$/);
    await outbox.screenshot({ path: join(shots, '02-dev-sms.png'), fullPage: true });
    await outbox.close();

    await page.fill('input[name=code]', code);
    await page.fill('input[name=password]', password);
    await shot('03-register-zh');
    await page.click('[data-test=submit]');
    await page.waitForURL('**/app');
  });

  await t.test('home greets with the masked phone and shows the tiles, every one leading to its page', async () => {
    assert.equal((await page.textContent('[data-test=phone]')).trim(), masked);
    assert.equal(await page.locator('.tile').count(), 9);
    assert.equal(await page.locator('.tile .badge', { hasText: '即将上线' }).count(), 0);
    assert.equal(await page.locator('a.tile[href="/app/rewards"]').count(), 1);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === '__Host-cardlife_session');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Lax');
    assert.ok(!(await page.content()).includes(phone), 'the full phone is not in the page');
    await shot('04-home-zh');
  });

  await t.test('my points, the mall, the membership card and invite friends open from home', async () => {
    await page.click('[data-test=tile-points]');
    await page.locator('[data-test=points-balance]').waitFor();
    assert.match(await page.textContent('[data-test=points-balance]'), /可用积分: 0/);
    await shot('04a-points-zh');
    await page.click('[data-test=to-mall]');
    await page.locator('[data-test=no-items]').waitFor();
    await shot('04b-mall-zh');
    await page.goto('/app/membership');
    assert.equal((await page.textContent('[data-test=tier]')).trim(), 'standard');
    await shot('04c-membership-zh');
    await page.goto('/app/invite');
    assert.match((await page.textContent('[data-test=invite-code]')).trim(), /^[0-9A-Z]{10}$/);
    await page.fill('[data-test=code]', 'NOSUCHCODE');
    await page.click('[data-test=bind]');
    await page.locator('[data-test=error]').waitFor();
    await shot('04d-invite-zh');
    await page.goto('/app');
  });

  await t.test('the switch turns the app English', async () => {
    await page.click('[data-test=switch-lang]');
    await page.getByRole('heading', { name: /Hello/ }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.locator('.tile .badge', { hasText: 'Coming soon' }).count(), 0);
    await shot('05-home-en');
  });

  await t.test('elder mode shows larger type and fewer items', async () => {
    const before = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    await page.click('[data-test=switch-elder]');
    await page.locator('body.elder').waitFor();
    const after = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    assert.ok(after > before, `elder type ${after}px is larger than ${before}px`);
    assert.equal(await page.locator('.tile').count(), 4);
    await shot('06-home-elder-en');
    await page.click('.tabbar a[href="/app/me"]');
    await page.locator('[data-test=logout]').waitFor();
    await shot('07-me-elder-en');
  });

  await t.test('logout ends the session and clears the cookie', async () => {
    await page.click('[data-test=logout]');
    await page.waitForURL('**/app/login');
    const cookies = await context.cookies();
    assert.ok(!cookies.some((c) => c.name === '__Host-cardlife_session'), 'the cookie is gone');
    await page.goto('/app');
    assert.match(new URL(page.url()).pathname, /^\/app\/login$/);
  });

  await t.test('back to standard Chinese, a wrong password is refused, the right one logs in', async () => {
    await page.click('[data-test=switch-elder]');
    await page.click('[data-test=switch-lang]');
    await page.getByRole('heading', { name: '登录' }).waitFor();
    await page.fill('input[name=phone]', phone);
    await page.fill('input[name=password]', 'not-the-password');
    await page.click('[data-test=submit]');
    await page.locator('[data-test=error]').waitFor();
    assert.match(await page.textContent('[data-test=error]'), /不正确/);
    await shot('08-login-refused-zh');
    await page.fill('input[name=password]', password);
    await page.click('[data-test=submit]');
    await page.waitForURL('**/app');
    assert.equal((await page.textContent('[data-test=phone]')).trim(), masked);
    await shot('09-home-again-zh');
  });

  await t.test('no console errors or CSP violations on any page', () => {
    assert.deepEqual(problems, []);
  });
});

// The cardholder's money pages and the merchant/operator walk (one runner, one CI step).
await import('./faces.mjs');

// Coupons: an operator's campaign that a cardholder claims and pays with.
await import('./rewards.mjs');
