// Dun's card form in a real browser: Debian's Chromium, headless, driven
// by playwright-core, on the portal's payment page of a running server
// whose Stripe is a localstripe (its Stripe.js stand-in is loaded from
// DUN_STRIPE_JS_URL). Run by crates/dun-web/tests/portal_pay.rs.
//
//   PAY_URL=http://127.0.0.1:PORT/portal/…/pay/pi_…   the payment's page
//   CARD=4242424242424242                              what the customer types
//   EXPECT=paid | refused                              what the page must end by saying
//   SCREENSHOT=FILE.png                                the form, filled in (optional)
//   CHROMIUM=/usr/bin/chromium                         (the default)
//
// Fails (non-zero exit) on a Content-Security-Policy violation, a page
// error, a card form that never shows, or an ending other than EXPECT.
// localstripe's stand-in asks its own "3D Secure" question on every
// confirmation; the customer answers "Complete authentication".

import { chromium } from 'playwright-core';

const PAY_URL = process.env.PAY_URL;
const CARD = process.env.CARD ?? '4242424242424242';
const EXPECT = process.env.EXPECT ?? 'paid';
const SCREENSHOT = process.env.SCREENSHOT;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const STEP_TIMEOUT_MS = 15_000;
// The webhook comes about a second after the charge at localstripe.
const PAID_TIMEOUT_MS = 30_000;

if (!PAY_URL) {
  console.error('pay.mjs: PAY_URL must be set');
  process.exit(2);
}

const problems = [];
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to (load|connect|frame|execute)/i.test(text)) {
      problems.push(`CSP: ${text}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

  await page.goto(PAY_URL);
  // The form shows only once Stripe.js has loaded and mounted the card.
  await page.locator('#card-form').waitFor({ state: 'visible' });
  const card = page.locator('#card-element');
  await card.locator('input[placeholder="number"]').fill(CARD);
  await card.locator('input[placeholder="exp_month"]').fill('12');
  await card.locator('input[placeholder="exp_year"]').fill('34');
  await card.locator('input[placeholder="cvc"]').fill('123');
  await card.locator('input[placeholder="postal_code"]').fill('10115');
  if (SCREENSHOT) {
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }
  await page.locator('#card-pay').click();
  await page.getByRole('button', { name: 'Complete authentication' }).click();

  if (EXPECT === 'refused') {
    const errors = page.locator('#card-errors');
    await errors.waitFor({ state: 'visible' });
    console.log(`refused: ${(await errors.textContent()).trim()}`);
    if (await page.locator('#paid').count()) problems.push('a refused card shows paid');
  } else {
    // Sent back to the payment's page; it says received once the webhook
    // has posted the payment.
    const deadline = Date.now() + PAID_TIMEOUT_MS;
    await page.waitForURL((url) => url.href.startsWith(PAY_URL));
    while (!(await page.locator('#paid').count())) {
      if (Date.now() > deadline) {
        problems.push('the page never said the payment was received');
        break;
      }
      await page.waitForTimeout(500);
      await page.reload();
    }
    if (await page.locator('#paid').count()) {
      console.log(`paid: ${(await page.locator('#paid').textContent()).trim()}`);
    }
  }
} catch (error) {
  problems.push(`step failed: ${error.message}`);
} finally {
  await browser.close();
}
for (const problem of problems) console.error(problem);
process.exit(problems.length ? 1 : 0);
