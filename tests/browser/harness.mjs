// Shared by the browser walks (docs/web.md, "Browser tests"): starting `cardlife serve` in
// development mode over a fresh data folder, launching Debian's Chromium, the screenshot
// folder, a console-error watch, registering a cardholder and the internal API. When a server
// stops, its data folder (the database files, WAL included) and everything it logged are scanned
// for the secrets the walk typed: a full card or account number or a password found in clear
// fails the walk, and so does a one-time code found in the log.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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
export const shots = resolve(process.env.CARDLIFE_SCREENSHOTS || join(repo, 'target', 'screenshots'));
export const MOBILE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** Secrets the walk typed, which must never be stored or logged in clear. */
const secrets = new Set();
/** One-time codes: never logged. (The store keeps only their HMAC, which the Rust tests check;
 * a six-digit code could appear by chance among a database file's bytes, so files are not
 * scanned for them.) */
const codes = new Set();

/** Registers a card number, account number or password the walk types. */
export function secret(value) {
  secrets.add(value);
}

/** Every file under `dir`, recursively. */
function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The secrets found in the data folder's files or in the log, as `what in where` lines. */
function leaks(data, log) {
  const found = [];
  for (const path of filesUnder(data)) {
    const bytes = readFileSync(path).toString('latin1');
    for (const s of secrets) if (bytes.includes(s)) found.push(`a secret ending ${s.slice(-4)} in ${path}`);
  }
  for (const s of [...secrets, ...codes]) if (log.includes(s)) found.push(`a secret ending ${s.slice(-2)} in the log`);
  return found;
}

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

/** Starts `cardlife serve` in development mode with a known internal token. */
export async function startServer() {
  assert.ok(existsSync(binary), `no cardlife binary at ${binary} (build it, or set CARDLIFE_BIN)`);
  const data = mkdtempSync(join(tmpdir(), 'cardlife-walk-'));
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const server = spawn(binary, ['serve'], {
    cwd: data,
    env: {
      ...process.env,
      CARDLIFE_DEV: '1',
      CARDLIFE_LISTEN: `127.0.0.1:${port}`,
      CARDLIFE_INTERNAL_TOKEN: token,
      DATABASE_URL: process.env.CARDLIFE_WALK_DATABASE_URL || `sqlite://${join(data, 'cardlife.db')}`,
      RUST_LOG: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stdout.on('data', (chunk) => {
    log += chunk;
    process.stdout.write(chunk);
  });
  server.stderr.on('data', (chunk) => {
    log += chunk;
    process.stderr.write(chunk);
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(base, server);
  return {
    base,
    /** POSTs `body` to the internal API with the token and a fresh idempotency key. */
    async internal(path, body) {
      const r = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': randomBytes(8).toString('hex'),
        },
        body: JSON.stringify(body),
      });
      const answer = await r.json();
      assert.ok(r.ok, `${path}: ${r.status} ${JSON.stringify(answer)}`);
      return answer;
    },
    /** Moves the development clock (`POST /dev/clock`) a day at a time until the business
     * date's day of the month is `day`, then closes the credit days that are over, so the
     * statement of the day before is cut. Answers the business date reached. */
    async advanceToDay(day) {
      for (let i = 0; i < 31; i++) {
        const { today } = await this.internal('/dev/clock', { advance_days: 1 });
        if (Number(today.slice(8, 10)) === day) {
          await this.internal('/v1/internal/credit/close-day', {});
          return today;
        }
      }
      throw new Error(`the clock never reached day ${day} of a month`);
    },
    /** Stops the server and waits for it to exit (it removes its WAL files as it closes), then
     * scans its files and log for secrets in clear and removes its folder. */
    async stop() {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((ok) => server.once('exit', ok));
        server.kill('SIGTERM');
        await exited;
      }
      const found = leaks(data, log);
      rmSync(data, { recursive: true, force: true });
      assert.deepEqual(found, [], 'secrets in clear after the walk');
    },
  };
}

/** Headless Chromium. */
export function launch() {
  mkdirSync(shots, { recursive: true });
  console.log(`screenshots: ${shots}`);
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--disable-gpu', '--disable-quic', '--disable-sync', '--no-first-run'],
  });
}

/** A page of its own (cookies included) on the mobile or desktop viewport, whose console errors
 * are collected in `problems`, and a `shot(name)` that saves a full-page screenshot. */
export async function face(browser, base, viewport, problems) {
  const mobile = viewport === MOBILE;
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor: mobile ? 2 : 1,
    isMobile: mobile,
    hasTouch: mobile,
    locale: 'zh-CN',
    baseURL: base,
  });
  const page = await context.newPage();
  // A refused form answers 422 on purpose; Chromium logs that as a failed load, which is not one.
  const expected = /status of 422/;
  page.on('console', (m) => m.type() === 'error' && !expected.test(m.text()) && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  return { context, page, shot };
}

/** Registers `phone` on the app (the code read from /dev/sms); ends on /app. */
export async function register(context, page, phone, password) {
  const masked = `${phone.slice(0, 3)}****${phone.slice(-4)}`;
  await page.goto('/app/register');
  await page.fill('input[name=phone]', phone);
  await page.click('[data-test=send-code]');
  await page.locator('[data-test=sent]').waitFor();
  const outbox = await context.newPage();
  await outbox.goto('/dev/sms');
  const code = (await outbox.locator(`tr[data-phone="${masked}"] td.code`).first().textContent()).trim();
  await outbox.close();
  codes.add(code);
  secrets.add(password);
  await page.fill('input[name=code]', code);
  await page.fill('input[name=password]', password);
  await page.click('[data-test=submit]');
  await page.waitForURL('**/app');
}

/** Logs `phone` in with its password (after a clock move the session has expired); ends on
 * /app. */
export async function login(page, phone, password) {
  await page.goto('/app/login');
  const form = page.locator('form:has(input[name=password])');
  await form.locator('input[name=phone]').fill(phone);
  await form.locator('input[name=password]').fill(password);
  await form.locator('[data-test=submit]').click();
  await page.waitForURL('**/app');
}

/** The logged-in customer's id, read with the page's session cookie. */
export async function customerId(page) {
  const me = await page.request.get('/v1/me');
  assert.ok(me.ok(), `GET /v1/me: ${me.status()}`);
  return (await me.json()).id;
}
