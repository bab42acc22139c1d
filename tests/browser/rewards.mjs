// Coupons in real headless Chromium (docs/web.md, "Browser tests"): an operator sets up a coupon
// template (a refused form first) and a new-customer campaign on the console; a merchant applies
// and shows its static code; a cardholder claims the coupon on /app/rewards (in Chinese, in
// English, in elder mode) and uses it to pay: the price less the coupon is charged.
// Screenshots `c01-…`: 1280×800 for the console and the portal, 390×844 for the app.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, MOBILE, customerId, face, launch, register, secret, startServer } from './harness.mjs';

const SETTLEMENT_ACCOUNT = '6222000011117788';
const OPERATOR_PASSWORD = 'pw-walkcampaigns-secret';
for (const s of [SETTLEMENT_ACCOUNT, OPERATOR_PASSWORD, 'shop-secret-2']) secret(s);
const phoneOf = (suffix) => `137${String(Date.now()).slice(-6)}${suffix}`;

test('an operator creates a coupon campaign that a cardholder then claims and pays with', async (t) => {
  const server = await startServer();
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const problems = [];
  const operator = await face(browser, server.base, DESKTOP, problems);
  const merchant = await face(browser, server.base, DESKTOP, problems);
  const holder = await face(browser, server.base, MOBILE, problems);
  let payload = '';

  await t.test('the operator sets up a coupon template and a campaign on the console', async () => {
    await server.internal('/v1/internal/operators', {
      login: 'walkcampaigns',
      phone: '13900000088',
      password: OPERATOR_PASSWORD,
      role: 'admin',
    });
    const { page, shot } = operator;
    await page.goto('/console/login');
    await page.fill('input[name=login]', 'walkcampaigns');
    await page.fill('input[name=password]', OPERATOR_PASSWORD);
    await page.click('[data-test=submit]');
    await page.waitForURL('**/console');
    await page.click('[data-test=nav-campaigns]');
    await page.locator('[data-test=template-form]').waitFor();
    // Refused first: markup in the name, then a threshold below its amount off.
    await page.fill('[data-test=t-name]', '<script>alert(1)</script>');
    await page.fill('[data-test=t-off]', '5.00');
    await page.fill('[data-test=t-valid-days]', '7');
    await page.fill('[data-test=t-budget]', '100.00');
    await page.fill('[data-test=t-stock]', '20');
    await page.fill('[data-test=t-per-user]', '1');
    await page.check('[data-test=t-claimable]');
    await page.click('[data-test=create-template]');
    await page.locator('[data-test=template-error]').waitFor();
    assert.equal(await page.locator('[data-test=template]').count(), 0);
    await shot('c01-console-template-refused-zh');
    // The form came back with what was typed: fix the name only.
    assert.equal(await page.inputValue('[data-test=t-budget]'), '100.00');
    await page.fill('[data-test=t-name]', '新客立减 5 元');
    await page.click('[data-test=create-template]');
    await page.locator('[data-test=notice]').waitFor();
    await page.locator('[data-test=template][data-name="新客立减 5 元"]').waitFor();
    // A new-customer campaign granting the same coupon on a first card binding.
    await page.fill('[data-test=c-name]', '新客礼');
    await page.selectOption('[data-test=c-trigger]', 'first_card_binding');
    await page.fill('[data-test=c-budget]', '50.00');
    await page.fill('[data-test=c-starts]', '2026-01-01');
    await page.fill('[data-test=c-ends]', '2030-12-31');
    await page.fill('[data-test=c-per-customer]', '1');
    await page.click('[data-test=create-campaign]');
    await page.locator('[data-test=campaign][data-name="新客礼"]').waitFor();
    await shot('c02-console-campaigns-zh');
  });

  await t.test('a merchant applies, is approved and shows its static code', async () => {
    const { page, shot } = merchant;
    await page.goto('/merchant/apply');
    await page.fill('input[name=name]', '咖啡 Walk');
    await page.fill('input[name=city]', 'Shanghai');
    await page.fill('input[name=address]', '2 Nanjing Road');
    await page.fill('input[name=mcc]', '5814');
    await page.fill('input[name=settlement_account]', SETTLEMENT_ACCOUNT);
    await page.fill('input[name=login]', 'walkcoffee');
    await page.fill('input[name=password]', 'shop-secret-2');
    await page.click('[data-test=submit]');
    await page.waitForURL('**/merchant');
    await operator.page.click('[data-test=nav-merchants]');
    await operator.page.click('[data-test=approve]');
    await operator.page.locator('[data-test=notice]').waitFor();
    await page.click('[data-test=nav-qr]');
    await page.click('[data-test=new-qr]');
    await page.locator('[data-test=static-code] svg').waitFor();
    payload = (await page.locator('[data-test=payload]').first().textContent()).trim();
    await shot('c03-merchant-qr-zh');
  });

  await t.test('a cardholder claims the coupon on the rewards page', async () => {
    const { context, page, shot } = holder;
    await register(context, page, phoneOf('03'), 'walk-Password-2026');
    await server.internal('/v1/internal/credit/accounts', {
      customer_id: await customerId(page),
      credit_limit_fen: 5_000_000,
      card_number: '4111111111111111',
      card_expires: '2031-06',
    });
    await page.click('[data-test=tile-rewards]');
    await page.waitForURL('**/app/rewards');
    await page.locator('[data-test=claimable][data-name="新客立减 5 元"]').waitFor();
    assert.equal(await page.locator('[data-test=my-coupon]').count(), 0);
    await shot('c04-rewards-claimable-zh');
    await page.click('[data-test=claimable][data-name="新客立减 5 元"] [data-test=claim]');
    await page.locator('[data-test=notice]').waitFor();
    await page.locator('[data-test=my-coupon][data-state=available]').waitFor();
    await shot('c05-rewards-claimed-zh');
    // One per customer: no second claim is offered (a forged one is refused: web_coupons.rs).
    await page.locator('[data-test=claimable][data-name="新客立减 5 元"] [data-test=claimed]').waitFor();
    assert.equal(await page.locator('[data-test=claimable] [data-test=claim]').count(), 0);
    assert.equal(await page.locator('[data-test=my-coupon]').count(), 1);
  });

  await t.test('the cardholder pays with the coupon: the price less the coupon is charged', async () => {
    const { page, shot } = holder;
    await page.goto('/app/pay');
    await page.fill('[data-test=payload]', payload);
    await page.click('[data-test=scan]');
    await page.locator('[data-test=coupon-choice]').waitFor();
    await page.fill('[data-test=amount]', '30.00');
    await page.check('[data-test=coupon][data-name="新客立减 5 元"]');
    await shot('c07-pay-with-coupon-zh');
    await page.click('[data-test=pay]');
    await page.locator('[data-test=paid]').waitFor();
    assert.match(await page.textContent('[data-test=paid-amount]'), /30\.00/);
    assert.match(await page.textContent('[data-test=charged]'), /25\.00/);
    await shot('c08-paid-with-coupon-zh');
    await page.goto('/app/rewards');
    await page.locator('[data-test=my-coupon][data-state=redeemed]').waitFor();
  });

  await t.test('the rewards page in English and in elder mode', async () => {
    const { page, shot } = holder;
    await page.click('[data-test=switch-lang]');
    await page.locator('html[lang=en]').waitFor();
    assert.match(await page.textContent('h1'), /Coupons/);
    await shot('c09-rewards-en');
    await page.click('[data-test=switch-elder]');
    await page.locator('body.elder').waitFor();
    await page.locator('[data-test=my-coupon]').waitFor();
    await shot('c10-rewards-elder-en');
  });

  await t.test('the console counts what was issued', async () => {
    const { page, shot } = operator;
    await page.click('[data-test=nav-campaigns]');
    const row = page.locator('[data-test=template][data-name="新客立减 5 元"]');
    assert.match(await row.textContent(), /1 \/ 20/);
    await shot('c11-console-issued-zh');
  });

  await t.test('no console errors or CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
