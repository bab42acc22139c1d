// The cardholder's money pages and the merchant/operator faces in real headless Chromium
// (docs/web.md, "Browser tests"):
//   (a) a cardholder registers; the test opens a credit account with a card for them through
//       the internal API; my cards (bind a debit card) → bills → borrow (read the APR, tick the
//       consent, book) → repay;
//   (b) a merchant applies on the portal, an operator (made through the internal API) approves
//       it on the console, the merchant shows its static QR code, a cardholder pastes it on
//       /app/pay and pays, the merchant sees the order, the console dashboard counts it; then the
//       development clock moves past the statement day, the cardholder sees the payment on the
//       bill, converts the bill into installments after reading the APR (consent ticked by
//       hand), sees the plan and repays.
// Screenshots: 390×844 for the app, 1280×800 for the portal and the console.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DESKTOP, MOBILE, customerId, face, launch, login as logIn, register, secret, startServer } from './harness.mjs';

const PAN = '6225880137461233';
const DEBIT = '6222020200112230';
const SETTLEMENT_ACCOUNT = '6222000011113445';
const RESIDENT_ID = '11010519491231002X';
for (const s of [PAN, DEBIT, SETTLEMENT_ACCOUNT, RESIDENT_ID, 'shop-secret-1', 'pw-walkreviewer-secret']) secret(s);
const phoneOf = (suffix) => `139${String(Date.now()).slice(-6)}${suffix}`;

/** Opens a credit account with a card for the page's customer (a bank operator's action). */
async function openAccount(server, page, pan) {
  return server.internal('/v1/internal/credit/accounts', {
    customer_id: await customerId(page),
    credit_limit_fen: 5_000_000,
    card_number: pan,
    card_expires: '2031-06',
  });
}

test('a cardholder binds a card, reads the bill, borrows with explicit consent and repays', async (t) => {
  const server = await startServer();
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const problems = [];
  const { context, page, shot } = await face(browser, server.base, MOBILE, problems);
  await register(context, page, phoneOf('01'), 'walk-Password-2026');
  await openAccount(server, page, PAN);

  await t.test('home leads to bills, borrow and my cards', async () => {
    await page.goto('/app');
    for (const tile of ['bills', 'borrow', 'cards']) {
      assert.equal(await page.getAttribute(`[data-test=tile-${tile}]`, 'href'), `/app/${tile}`);
    }
    await shot('a01-home-zh');
  });

  await t.test('my cards: the credit card masked, a debit card bound and shown masked', async () => {
    await page.click('[data-test=tile-cards]');
    await page.waitForURL('**/app/cards');
    assert.equal((await page.textContent('[data-test=credit-card] .mono')).trim(), '622588******1233');
    await page.fill('[data-test=card-number]', DEBIT);
    await page.click('[data-test=bind]');
    await page.locator('[data-test=notice]').waitFor();
    assert.equal((await page.textContent('[data-test=debit-card]')).trim(), '622202******2230');
    const html = await page.content();
    assert.ok(!html.includes(PAN) && !html.includes(DEBIT), 'no full card number in the page');
    await shot('a02-cards-zh');
  });

  await t.test('bills: limit, available credit and the repay form', async () => {
    await page.goto('/app/bills');
    assert.match(await page.textContent('[data-test=limit]'), /50000\.00/);
    await shot('a03-bills-zh');
    await page.click('[data-test=open-account]');
    await page.locator('[data-test=repay-amount]').waitFor();
    await shot('a04-account-zh');
  });

  await t.test('borrow: the APR is the largest figure, consent is never pre-ticked, booking works', async () => {
    await page.goto('/app/borrow');
    assert.match(await page.textContent('[data-test=offer-reasons]'), /THIN_FILE/);
    await shot('a05-borrow-zh');
    await page.fill('[data-test=loan-amount]', '12000');
    await page.fill('[data-test=periods]', '12');
    await page.selectOption('[data-test=method]', 'equal_installment');
    await page.click('[data-test=get-quote]');
    await page.locator('[data-test=apr]').waitFor();
    const apr = (await page.textContent('[data-test=apr]')).trim();
    assert.match(apr, /^\d+\.\d+%$/);
    const size = (sel) => page.evaluate((s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize), sel);
    assert.ok((await size('[data-test=apr]')) > 1.5 * (await size('[data-test=monthly-rate]')), 'APR more prominent');
    assert.equal(await page.locator('[data-test=schedule] tbody tr').count(), 12);
    assert.equal(await page.isChecked('[data-test=consent]'), false, 'consent is not pre-ticked');
    await shot('a06-quote-zh');
    await page.click('[data-test=book]');
    await page.locator('[data-test=error]').waitFor();
    await shot('a07-consent-refused-zh');
    await page.check('[data-test=consent]');
    await page.click('[data-test=book]');
    await page.locator('[data-test=notice]').waitFor();
    assert.equal(await page.locator('[data-test=loan]').count(), 1);
    assert.match(await page.textContent('[data-test=loan]'), new RegExp(apr.replace('.', '\\.')));
    await shot('a08-booked-zh');
  });

  await t.test('repay: bad input is refused, a repayment is taken', async () => {
    await page.goto('/app/bills');
    await page.click('[data-test=open-account]');
    await page.fill('[data-test=repay-amount]', '<script>');
    await page.click('[data-test=repay]');
    await page.locator('[data-test=error]').waitFor();
    await shot('a09-repay-refused-zh');
    await page.fill('[data-test=repay-amount]', '25.00');
    await page.click('[data-test=repay]');
    await page.locator('[data-test=notice]').waitFor();
    assert.match(await page.textContent('[data-test=balance]'), /-25\.00/);
    await shot('a10-repaid-zh');
  });

  await t.test('me: real-name details refused when malformed, then verified and shown masked', async () => {
    await page.goto('/app/me');
    await page.fill('[data-test=name]', '张三');
    await page.fill('[data-test=resident-id-input]', '110105194912310021');
    await page.click('[data-test=real-name-submit]');
    await page.locator('[data-test=real-name-error]').waitFor();
    assert.equal(await page.inputValue('[data-test=name]'), '张三', 'the name typed is kept');
    assert.equal(await page.inputValue('[data-test=resident-id-input]'), '', 'the ID is never echoed');
    await shot('a10b-real-name-refused-zh');
    await page.fill('[data-test=resident-id-input]', RESIDENT_ID);
    await page.click('[data-test=real-name-submit]');
    await page.locator('[data-test=verified]').waitFor();
    assert.equal((await page.textContent('[data-test=real-name]')).trim(), '张*');
    assert.equal((await page.textContent('[data-test=resident-id]')).trim(), '110***********002X');
    assert.equal((await page.textContent('[data-test=verified]')).trim(), '已认证');
    assert.ok(!(await page.content()).includes(RESIDENT_ID), 'no full ID number in the page');
    await shot('a10c-real-name-verified-zh');
  });

  await t.test('the pages in English and in elder mode', async () => {
    await page.click('[data-test=switch-lang]');
    await page.locator('html[lang=en]').waitFor();
    await shot('a11-account-en');
    await page.goto('/app/borrow');
    await shot('a12-borrow-en');
    await page.goto('/app/cards');
    await shot('a13-cards-en');
    await page.click('[data-test=switch-elder]');
    await page.locator('body.elder').waitFor();
    await page.goto('/app/bills');
    await shot('a14-bills-elder-en');
  });

  await t.test('no console errors or CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});

test('a merchant applies, an operator approves, a cardholder pays its QR code, the console counts it, the bill goes into installments', async (t) => {
  const server = await startServer();
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const problems = [];
  const merchant = await face(browser, server.base, DESKTOP, problems);
  const operator = await face(browser, server.base, DESKTOP, problems);
  const holder = await face(browser, server.base, MOBILE, problems);
  const login = 'walknoodle';
  let payload = '';
  let codePicture = Buffer.alloc(0);

  await t.test('the merchant applies on the portal', async () => {
    const { page, shot } = merchant;
    await page.goto('/merchant/apply');
    await page.fill('input[name=name]', '面馆 Walk');
    await page.fill('input[name=city]', 'Shanghai');
    await page.fill('input[name=address]', '1 Nanjing Road');
    await page.fill('input[name=mcc]', '5812');
    await page.fill('input[name=settlement_account]', SETTLEMENT_ACCOUNT);
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'shop-secret-1');
    await shot('b01-apply-zh');
    await page.click('[data-test=submit]');
    await page.waitForURL('**/merchant');
    assert.equal(await page.getAttribute('[data-test=status]', 'data-status'), 'pending');
    await shot('b02-pending-zh');
  });

  await t.test('an operator logs in to the console and approves', async () => {
    await server.internal('/v1/internal/operators', {
      login: 'walkreviewer',
      phone: '13900000077',
      password: 'pw-walkreviewer-secret',
      role: 'admin',
    });
    const { page, shot } = operator;
    await page.goto('/console/login');
    await page.fill('input[name=login]', 'walkreviewer');
    await page.fill('input[name=password]', 'pw-walkreviewer-secret');
    await shot('b03-console-login-zh');
    await page.click('[data-test=submit]');
    await page.waitForURL('**/console');
    await page.click('[data-test=nav-merchants]');
    await page.locator('[data-test=approve]').first().waitFor();
    await shot('b04-console-queue-zh');
    await page.click('[data-test=approve]');
    await page.locator('[data-test=notice]').waitFor();
    await shot('b05-console-approved-zh');
  });

  await t.test('the merchant shows its static QR code', async () => {
    const { page, shot } = merchant;
    await page.goto('/merchant');
    assert.equal(await page.getAttribute('[data-test=status]', 'data-status'), 'approved');
    await page.click('[data-test=nav-qr]');
    await page.click('[data-test=new-qr]');
    await page.locator('[data-test=static-code] svg').waitFor();
    payload = (await page.locator('[data-test=payload]').first().textContent()).trim();
    assert.ok(payload.length > 20, payload);
    // What the cardholder's phone camera sees: a picture of the code as the page draws it.
    codePicture = await page.locator('[data-test=static-code] svg').first().screenshot();
    await shot('b06-merchant-qr-zh');
  });

  const holderPhone = phoneOf('02');
  await t.test('a cardholder uploads a picture of the code on /app/pay and pays', async () => {
    const { context, page, shot } = holder;
    await register(context, page, holderPhone, 'walk-Password-2026');
    // Payments are charged to the cardholder's card: open the credit account first.
    await openAccount(server, page, '4111111111111111');
    await page.goto('/app/pay');
    await page.setInputFiles('[data-test=picture]', {
      name: 'code.png',
      mimeType: 'image/png',
      buffer: codePicture,
    });
    await shot('b07a-pay-upload-zh');
    await page.click('[data-test=scan-picture]');
    await page.locator('[data-test=merchant]').waitFor();
    assert.match(await page.textContent('[data-test=merchant]'), /Walk/);
    // The static-code limit a day (500.00) is the card's smallest installment amount: the bill can be converted.
    await page.fill('[data-test=amount]', '500.00');
    await shot('b07-pay-confirm-zh');
    await page.click('[data-test=pay]');
    await page.locator('[data-test=paid]').waitFor();
    assert.match(await page.textContent('[data-test=paid-amount]'), /500\.00/);
    await shot('b08-paid-zh');
  });

  await t.test('the merchant sees the order', async () => {
    const { page, shot } = merchant;
    await page.click('[data-test=nav-orders]');
    await page.locator('[data-test=order]').first().waitFor();
    assert.match(await page.textContent('[data-test=order-amount]'), /500\.00/);
    await shot('b09-merchant-orders-zh');
  });

  await t.test('the console dashboard counts the payment', async () => {
    const { page, shot } = operator;
    await page.click('[data-test=nav-dashboard]');
    await page.locator('[data-test=total-payments]').waitFor();
    assert.match(await page.textContent('[data-test=total-payments] strong'), /^1$/);
    await page.waitForTimeout(500);
    await shot('b10-console-dashboard-zh');
    await page.click('[data-test=nav-customers]');
    await shot('b11-console-customers-zh');
  });

  await t.test('past the statement day the payment is on the bill', async () => {
    const { page, shot } = holder;
    // The account's statement day is the 7th (the default product): on the 8th it is cut.
    await server.advanceToDay(8);
    await logIn(page, holderPhone, 'walk-Password-2026');
    await page.goto('/app/bills');
    await page.click('[data-test=open-account]');
    await page.locator('[data-test=statement]').first().click();
    assert.match(await page.textContent('main'), /500\.00/);
    await shot('b12-statement-zh');
  });

  await t.test('bill installment: the APR is read before consent, which is ticked by hand', async () => {
    const { page, shot } = holder;
    await page.goto('/app/bills');
    await page.click('[data-test=open-account]');
    await page.locator('[data-test=installment-section]').waitFor();
    assert.equal(await page.inputValue('[data-test=installment-amount]'), '500.00');
    await page.selectOption('[data-test=installment-periods]', '6');
    await shot('b13-installment-form-zh');
    await page.click('[data-test=installment-quote]');
    await page.locator('[data-test=apr]').waitFor();
    assert.ok(await page.isVisible('[data-test=apr]'), 'the APR is on screen');
    const apr = (await page.textContent('[data-test=apr]')).trim();
    assert.match(apr, /^\d+\.\d{2}%$/);
    const size = (sel) => page.evaluate((s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize), sel);
    assert.ok((await size('[data-test=apr]')) > 1.5 * (await size('[data-test=per-period-rate]')), 'APR more prominent');
    const aprTop = await page.locator('[data-test=apr]').boundingBox();
    const rateTop = await page.locator('[data-test=per-period-rate]').boundingBox();
    assert.ok(aprTop.y < rateTop.y, 'the APR comes before the per-period rate');
    assert.equal(await page.locator('[data-test=schedule] tbody tr').count(), 6);
    assert.equal(await page.isChecked('[data-test=consent]'), false, 'consent is not pre-ticked');
    await shot('b14-installment-quote-zh');
    await page.click('[data-test=confirm-installment]');
    await page.locator('[data-test=error]').waitFor();
    await shot('b15-installment-consent-refused-zh');
    await page.check('[data-test=consent]');
    await page.click('[data-test=confirm-installment]');
    await page.locator('[data-test=notice]').waitFor();
    assert.equal(await page.locator('[data-test=plan]').count(), 1);
    assert.match(await page.textContent('[data-test=plan-apr]'), new RegExp(apr.replace('.', '\\.')));
    await page.locator('[data-test=plan-next]').waitFor();
    await shot('b16-installment-booked-zh');
  });

  await t.test('then the cardholder repays', async () => {
    const { page, shot } = holder;
    await page.fill('[data-test=repay-amount]', '100.00');
    await page.click('[data-test=repay]');
    await page.locator('[data-test=notice]').waitFor();
    await shot('b17-repaid-after-installment-zh');
  });

  await t.test('the merchant is settled T+1 and downloads the day\'s reconciliation file', async () => {
    const { page, shot } = merchant;
    // Every closed day up to yesterday (the walk's clock is a week on from the payment).
    const { settled } = await server.internal('/v1/internal/settlement/run', {});
    assert.ok(Array.isArray(settled));
    await page.goto('/merchant/settlements');
    if (page.url().includes('/merchant/login')) {
      // A week on, the staff session has idled out.
      await page.fill('input[name=login]', login);
      await page.fill('input[name=password]', 'shop-secret-1');
      await page.click('[data-test=submit]');
      await page.waitForURL('**/merchant');
      await page.click('[data-test=nav-settlements]');
    }
    const day = page.locator('[data-test=settlement]').filter({ hasText: '500.00' }).first();
    await day.waitFor();
    await shot('b18-merchant-settlements-zh');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      day.locator('[data-test=csv]').click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv, /^business_date,merchant_id,kind,reference,amount,currency/);
    assert.match(csv, /,capture,/);
    const payout = (await day.locator('[data-test=payout]').textContent()).trim();
    const total = csv.split('\n').find((l) => l.includes(',total,'));
    assert.ok(total && total.includes(payout), `${total} pays ${payout}`);
  });

  await t.test('no console errors or CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
