// Dun's real-browser journeys: Debian's Chromium, headless, driven by
// playwright-core against a running `dun serve`; axe-core checks each main
// page for accessibility, and each main page is photographed.
//
// Run by crates/dun/tests/browser.rs (part of `cargo test --workspace`):
//
//   BASE_URL=http://127.0.0.1:PORT      a server on the demo book
//   SETUP_URL=http://127.0.0.1:PORT     a server on an empty database (first run)
//   DUN_EMAIL, DUN_PASSWORD             the demo book's owner
//   SCREENSHOT_DIR=DIR                  where the PNGs go
//   FAILURE_DIR=DIR                     where a failed step's PNG goes (default SCREENSHOT_DIR)
//   CHROMIUM=/usr/bin/chromium          (the default)
//
// A journey names the pages it needs. While a page is not served yet (the web
// UI is being built page by page) the journey is reported PENDING and does
// not fail the run, unless DUN_BROWSER_REQUIRE_ALL=1. Everything else that
// goes wrong — a step, a serious or critical axe violation, a console error —
// fails the run with a non-zero exit.

import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');

const BASE_URL = need('BASE_URL');
const SETUP_URL = process.env.SETUP_URL;
const EMAIL = process.env.DUN_EMAIL ?? 'ann@demo.example';
const PASSWORD = process.env.DUN_PASSWORD ?? 'correct horse battery';
const SCREENSHOT_DIR = need('SCREENSHOT_DIR');
const FAILURE_DIR = process.env.FAILURE_DIR ?? SCREENSHOT_DIR;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// The demo book's home currency (dun demo makes a USD organisation).
const HOME_CURRENCY = process.env.DUN_HOME_CURRENCY ?? 'USD';
const REQUIRE_ALL = process.env.DUN_BROWSER_REQUIRE_ALL === '1';
// Runs only the journeys whose name contains this text (to work on one).
const ONLY = process.env.DUN_JOURNEY ?? '';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
// Impacts that fail the run; axe's "minor" and "moderate" are printed only.
const FAILING_IMPACTS = new Set(['serious', 'critical']);
// A step waits this long for the page before failing (the server is local).
const STEP_TIMEOUT_MS = 15_000;

function need(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`journeys.mjs: ${name} must be set`);
    process.exit(2);
  }
  return value;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether the server serves `path` at all (anything but a 404). */
async function served(base, path) {
  const response = await fetch(new URL(path, base), { redirect: 'manual' });
  return response.status !== 404;
}

/** Injects axe-core, runs it, prints every violation; returns the failing ones. */
// axe-core is served to the page from its own origin (the server's
// Content-Security-Policy allows scripts from 'self' only, never inline).
const AXE_URL_PATH = '/__journeys/axe.min.js';
const axeRouted = new WeakSet();

async function axeCheck(page, label) {
  if (!axeRouted.has(page)) {
    await page.route(`**${AXE_URL_PATH}`, (route) =>
      route.fulfill({ path: AXE_PATH, contentType: 'text/javascript; charset=utf-8' }),
    );
    axeRouted.add(page);
  }
  await page.addScriptTag({ url: new URL(AXE_URL_PATH, page.url()).href });
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  });
  const failing = violations.filter((v) => FAILING_IMPACTS.has(v.impact));
  for (const v of violations) {
    const mark = FAILING_IMPACTS.has(v.impact) ? 'FAIL' : 'note';
    console.log(`  axe ${mark} [${v.impact}] ${label}: ${v.id} — ${v.help} (${v.helpUrl})`);
    for (const n of v.nodes) console.log(`      at ${n.target}: ${n.summary?.split('\n').join(' ')}`);
  }
  return failing;
}

/** Everything a journey gets: the page, and the main-page check. */
class Run {
  constructor(page, failures) {
    this.page = page;
    this.failures = failures;
  }

  /**
   * A main page: no serious/critical axe violation, and a screenshot
   * `<name>.png` at desktop size (and `<name>-phone.png` when asked).
   */
  async mainPage(name, { phone = false } = {}) {
    const page = this.page;
    await page.waitForLoadState('load');
    // Styled: the stylesheet arrived and has rules (an empty or missing one is a bare page).
    const cssRules = await page.evaluate(() => [...document.styleSheets].reduce((n, sheet) => n + sheet.cssRules.length, 0));
    if (cssRules === 0) {
      this.failures.push(`${name}: no stylesheet rules reached the page`);
    }
    // Time to the first byte of the page (the server's work plus a local round trip), printed.
    const firstByteMs = await page.evaluate(() => {
      const [nav] = performance.getEntriesByType('navigation');
      return nav ? Math.round(nav.responseStart - nav.requestStart) : null;
    });
    console.log(`  page ${name}: first byte in ${firstByteMs} ms`);
    const failing = await axeCheck(page, `${name} (${new URL(page.url()).pathname})`);
    if (failing.length > 0) {
      this.failures.push(`${name}: ${failing.length} serious or critical accessibility violation(s): ${failing.map((v) => v.id).join(', ')}`);
    }
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
    if (phone) {
      await page.setViewportSize(PHONE);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-phone.png`) });
      // Responsive: at phone width the page itself does not scroll sideways
      // (a wide table may scroll inside its own box).
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) {
        const wide = await page.evaluate(() =>
          [...document.querySelectorAll('main table, main svg, main pre')]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 3)
            .map((el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className : ''}`),
        );
        const message = `${name} at phone width: the page is ${overflow}px wider than the screen (${wide.join(', ') || 'see the screenshot'})`;
        this.failures.push(message);
      }
      const phoneFailing = await axeCheck(page, `${name} at phone width`);
      if (phoneFailing.length > 0) {
        this.failures.push(`${name} at phone width: ${phoneFailing.map((v) => v.id).join(', ')}`);
      }
      await page.setViewportSize(DESKTOP);
    }
  }

  /**
   * At phone width, the table `selector` reads as cards: nothing in it
   * scrolls sideways, and every cell of every row is inside the screen
   * (no column a person needs is hidden or off to the side).
   */
  async cardsAtPhone(selector, label) {
    const page = this.page;
    await page.setViewportSize(PHONE);
    try {
      const found = await page.evaluate((selector) => {
        const table = document.querySelector(selector);
        if (!table) return { missing: true };
        const box = table.parentElement;
        const cells = [...table.querySelectorAll('tbody td')];
        const off = cells
          .filter((td) => {
            const r = td.getBoundingClientRect();
            return getComputedStyle(td).display !== 'none' && (r.left < -1 || r.right > window.innerWidth + 1);
          })
          .slice(0, 3)
          .map((td) => td.dataset.label ?? td.textContent.trim().slice(0, 30));
        const hidden = cells.filter((td) => getComputedStyle(td).display === 'none' || td.getBoundingClientRect().width === 0).length;
        return {
          missing: false,
          scrolls: box.scrollWidth - box.clientWidth,
          page: document.documentElement.scrollWidth - window.innerWidth,
          off,
          hidden,
          rows: table.querySelectorAll('tbody tr').length,
        };
      }, selector);
      if (found.missing) throw new Error(`${label}: no ${selector} on the page`);
      if (found.rows === 0) throw new Error(`${label}: ${selector} has no rows to check`);
      if (found.scrolls > 1) this.failures.push(`${label} at phone width: the table scrolls ${found.scrolls}px sideways inside its box`);
      if (found.page > 0) this.failures.push(`${label} at phone width: the page is ${found.page}px wider than the screen`);
      if (found.off.length > 0) this.failures.push(`${label} at phone width: cells off the screen: ${found.off.join(', ')}`);
      if (found.hidden > 0) this.failures.push(`${label} at phone width: ${found.hidden} cell(s) hidden`);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${label}-cards-phone.png`) });
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  }

  /** Signs in through the sign-in form as `email`. */
  async signIn(base, email, password) {
    const page = this.page;
    await page.goto(new URL('/sign-in', base).href);
    await page.getByLabel(/e-?mail/i).fill(email);
    await page.getByLabel(/password/i).fill(password);
    await Promise.all([
      page.waitForURL((url) => url.pathname !== '/sign-in'),
      page.getByRole('button', { name: /sign in/i }).click(),
    ]);
  }

  /**
   * Presses Tab until `locator` has the focus (as a keyboard user would
   * reach it), then Enter. Fails when it is not reachable by Tab.
   */
  async tabTo(locator, { maxTabs = 200 } = {}) {
    const page = this.page;
    const handle = await locator.elementHandle();
    for (let i = 0; i < maxTabs; i++) {
      await page.keyboard.press('Tab');
      if (await handle.evaluate((el) => el === document.activeElement)) {
        // The keyboard user sees where they are: the focus is drawn.
        const drawn = await handle.evaluate((el) => {
          const style = getComputedStyle(el);
          return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
        });
        if (!drawn) throw new Error(`the keyboard focus on ${locator} is not visible (no outline or ring)`);
        return;
      }
    }
    throw new Error(`not reachable by Tab within ${maxTabs} presses: ${locator}`);
  }
}

/**
 * The journeys, in order. `base` picks the server; `needs` are the paths
 * that must be served for the journey to run.
 */
const JOURNEYS = [
  {
    name: 'first-run set-up on an empty database',
    base: () => SETUP_URL,
    needs: ['/setup'],
    async run(run) {
      const { page } = run;
      await page.goto(new URL('/setup', SETUP_URL).href);
      await run.mainPage('setup');
      const organisation = page.getByRole('group', { name: /organi[sz]ation/i });
      await organisation.getByLabel(/name/i).fill('Harbour Supplies');
      await organisation.getByLabel(/currency/i).fill('USD');
      await organisation.getByLabel(/time ?zone/i).fill('Europe/London');
      const owner = page.getByRole('group', { name: /owner/i });
      await owner.getByLabel(/name/i).fill('Hana Owner');
      await owner.getByLabel(/e-?mail/i).fill('owner@harbour.example');
      await owner.getByLabel(/password/i).fill('a long passphrase here');
      await Promise.all([
        page.waitForURL((url) => url.pathname !== '/setup'),
        page.getByRole('button', { name: /set up|create|start/i }).click(),
      ]);
      // Set up, the owner is signed in (or asked to sign in once).
      if (new URL(page.url()).pathname === '/sign-in') {
        await run.signIn(SETUP_URL, 'owner@harbour.example', 'a long passphrase here');
      }
      await page.getByText('Harbour Supplies').first().waitFor();
      // The database is no longer empty: set-up does not open again.
      const again = await page.goto(new URL('/setup', SETUP_URL).href);
      if (new URL(page.url()).pathname === '/setup' && again.ok() && (await page.getByLabel(/password/i).count()) > 0) {
        throw new Error('/setup still offers to create an organisation after set-up');
      }
    },
  },
  {
    name: 'sign-in: a wrong password is refused, the right one opens the dashboard',
    base: () => BASE_URL,
    needs: ['/sign-in', '/dashboard'],
    async run(run) {
      const { page } = run;
      await page.goto(new URL('/sign-in', BASE_URL).href);
      await run.mainPage('sign-in');
      await page.getByLabel(/e-?mail/i).fill(EMAIL);
      await page.getByLabel(/password/i).fill('not the password');
      // The 401 of a refused sign-in is expected here, not a page fault.
      await page.getByRole('button', { name: /sign in/i }).click();
      await page.getByText(/wrong|incorrect|not recogni[sz]ed/i).first().waitFor();
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      if (new URL(page.url()).pathname !== '/dashboard') {
        await page.goto(new URL('/dashboard', BASE_URL).href);
      }
      await page.getByRole('heading').first().waitFor();
      await run.mainPage('dashboard', { phone: true });
    },
  },
  {
    name: 'signed out, a page sends to sign-in; signing out ends the session',
    base: () => BASE_URL,
    needs: ['/sign-in', '/dashboard', '/sign-out'],
    async run(run) {
      const { page } = run;
      for (const path of ['/dashboard', '/customers']) {
        await page.goto(new URL(path, BASE_URL).href);
        if (new URL(page.url()).pathname !== '/sign-in') {
          throw new Error(`signed out, ${path} showed ${page.url()} instead of the sign-in page`);
        }
      }
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      await Promise.all([
        page.waitForURL((url) => url.pathname === '/sign-in'),
        page.getByRole('button', { name: /sign out/i }).click(),
      ]);
      await page.goto(new URL('/dashboard', BASE_URL).href);
      if (new URL(page.url()).pathname !== '/sign-in') {
        throw new Error(`after signing out, /dashboard showed ${page.url()}`);
      }
    },
  },
  {
    name: 'dashboard reads with JavaScript off',
    base: () => BASE_URL,
    needs: ['/sign-in', '/dashboard'],
    noJavaScript: true,
    async run(run) {
      const { page } = run;
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      await page.goto(new URL('/dashboard', BASE_URL).href);
      await page.getByText(/overdue/i).first().waitFor();
    },
  },
  {
    name: 'customers list → a customer (by keyboard) → log a call with a promise → on the timeline',
    base: () => BASE_URL,
    needs: ['/sign-in', '/customers'],
    async run(run) {
      const { page } = run;
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      await page.goto(new URL('/customers', BASE_URL).href);
      await page.getByRole('table').first().waitFor();
      await run.mainPage('customers', { phone: true });
      await run.cardsAtPhone('#customers', 'customers');
      // The filter: only customers with something overdue (one who owes can promise).
      await page.getByLabel(/overdue only/i).check();
      await Promise.all([
        page.waitForURL((url) => url.searchParams.has('overdue')),
        page.getByRole('button', { name: /filter/i }).click(),
      ]);
      // Keyboard: the first Tab offers to skip the navigation.
      await page.keyboard.press('Tab');
      const first = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
      if (!/skip/i.test(first)) throw new Error(`the first Tab reaches "${first}", not a skip link`);
      // Keyboard: Tab to the first customer overdue in the home currency (a
      // promise is made in it), Enter opens it.
      const row = page
        .getByRole('table')
        .first()
        .locator('tbody tr')
        .filter({ hasText: new RegExp(`${HOME_CURRENCY} [1-9]`) })
        .first();
      const link = row.getByRole('link').first();
      const name = (await link.innerText()).trim();
      await run.tabTo(link);
      await Promise.all([
        page.waitForURL((url) => /^\/customers\/[^/]+$/.test(url.pathname)),
        page.keyboard.press('Enter'),
      ]);
      await page.getByRole('heading', { name: new RegExp(escapeRegExp(name.split('\n')[0])) }).first().waitFor();
      await run.mainPage('customer');
      await run.cardsAtPhone('#customer-invoices', 'customer-invoices');
      // Log a call: the customer promised to pay part of the balance in a week.
      const promiseDate = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
      const amountLabel = await page.locator('label[for="promise_amount"]').innerText();
      const currency = /[A-Z]{3}/.exec(amountLabel)?.[0] ?? HOME_CURRENCY;
      const balanceText = await page.locator(`[data-balance="${currency}"]`).first().innerText();
      const balanceCents = Math.round(Number(balanceText.replace(/[^0-9.]/g, '')) * 100);
      const amount = (Math.min(12_345, Math.floor(balanceCents / 2)) / 100).toFixed(2);
      const form = page.locator('form').filter({ has: page.getByRole('button', { name: /log (a |the )?call/i }) }).first();
      const outcome = form.getByLabel(/outcome/i);
      if ((await outcome.count()) > 0) {
        if ((await outcome.evaluate((el) => el.tagName)) === 'SELECT') {
          const values = await outcome.locator('option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
          const promised = values.find(([, text]) => /promise/i.test(text)) ?? values[0];
          await outcome.selectOption(promised[0]);
        } else {
          await outcome.fill('Promised to pay next week');
        }
      }
      await form.getByLabel(/promise.*date|date.*promise|pay by/i).fill(promiseDate);
      await form.getByLabel(/promise.*amount|amount/i).first().fill(amount);
      const note = form.getByLabel(/note|summary|what was said/i);
      if ((await note.count()) > 0) await note.first().fill('Spoke to accounts payable; paying next week.');
      await form.getByRole('button', { name: /log (a |the )?call/i }).click();
      await page.waitForLoadState('load');
      // The timeline shows the call and its promise.
      await page.getByText(new RegExp(`Promised ${escapeRegExp(amount)} [A-Z]{3} by ${promiseDate}`)).first().waitFor();
      await page.getByText(/Call: Promised to pay next week/).first().waitFor();
    },
  },
  {
    name: 'customers: search by name; a promise without its amount is refused with a message',
    base: () => BASE_URL,
    needs: ['/sign-in', '/customers'],
    async run(run) {
      const { page } = run;
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      await page.goto(new URL('/customers', BASE_URL).href);
      const table = page.getByRole('table').first();
      const rowsBefore = await table.locator('tbody tr').count();
      const last = table.locator('tbody tr').last().getByRole('link').first();
      const name = (await last.innerText()).trim();
      // Search: type the name and press Enter in the box.
      await page.getByRole('searchbox').fill(name);
      await Promise.all([
        page.waitForURL((url) => url.searchParams.get('q') === name),
        page.getByRole('searchbox').press('Enter'),
      ]);
      const found = page.getByRole('table').first().getByRole('link', { name, exact: true });
      await found.first().waitFor();
      const rowsAfter = await page.getByRole('table').first().locator('tbody tr').count();
      if (rowsBefore > 1 && rowsAfter >= rowsBefore) {
        throw new Error(`searching for "${name}" kept all ${rowsBefore} rows`);
      }
      await Promise.all([
        page.waitForURL((url) => /^\/customers\/[^/]+$/.test(url.pathname)),
        found.first().click(),
      ]);
      // A promise needs both its date and its amount: the form says so and keeps what was typed.
      const form = page.locator('form').filter({ has: page.getByRole('button', { name: /log (a |the )?call/i }) }).first();
      await form.getByLabel(/outcome/i).fill('Will pay soon');
      await form.getByLabel(/promise.*date|date.*promise|pay by/i).fill('2031-01-31');
      await form.getByRole('button', { name: /log (a |the )?call/i }).click();
      await page.getByRole('alert').filter({ hasText: /amount/i }).first().waitFor();
      const kept = await page.getByLabel(/outcome/i).inputValue();
      if (kept !== 'Will pay soon') {
        throw new Error(`the refused form lost what was typed (outcome is now "${kept}")`);
      }
      if ((await page.getByText(/Call: Will pay soon/).count()) > 0) {
        throw new Error('the refused call is on the timeline');
      }
    },
  },
  {
    name: 'a new customer and an invoice for them: lines with live totals, issued, in the list',
    base: () => BASE_URL,
    needs: ['/sign-in', '/customers/new', '/invoices/new', '/invoices'],
    async run(run) {
      const { page } = run;
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      await page.goto(new URL('/customers/new', BASE_URL).href);
      const reference = `JRNY${Date.now().toString(36).toUpperCase().slice(-5)}`;
      await page.locator('#reference').fill(reference);
      await page.locator('#name').fill('Journey Joinery Ltd');
      await page.locator('#email').fill('ap@joinery.example');
      const terms = page.locator('#terms');
      if ((await terms.evaluate((el) => el.tagName)) === 'SELECT') {
        await terms.selectOption({ index: 0 });
      } else {
        await terms.fill('net30');
      }
      await page.locator('#credit_limit').fill('10000.00');
      // What an invoice needs: the postal address, identifiers and a first contact.
      await page.getByLabel(/^street address$/i).fill('12 Sawmill Lane');
      await page.getByLabel(/^city$/i).fill('Hebden Bridge');
      await page.getByLabel(/^postcode$/i).fill('HX7 8AB');
      // A bad country first: the whole form is refused, kept as typed, the field named.
      await page.getByLabel(/^country/i).fill('1X');
      await page.getByLabel(/^vat id/i).fill('GB123456789');
      await page.getByLabel(/electronic address/i).fill('0088:5790000435975');
      const contact = page.getByRole('group', { name: /first contact/i });
      await contact.getByLabel(/^name$/i).fill('Jo Joiner');
      await contact.getByLabel(/^e-?mail$/i).fill('jo@joinery.example');
      await contact.getByLabel(/^phone$/i).fill('+44 1422 555 0101');
      await page.getByRole('button', { name: /create customer/i }).click();
      await page.getByRole('alert').first().waitFor();
      const refusal = (await page.getByRole('alert').allInnerTexts()).join(' ');
      if (!/country_code/.test(refusal)) throw new Error(`the refusal does not name the country: "${refusal}"`);
      if ((await page.locator('#city').inputValue()) !== 'Hebden Bridge') throw new Error('the refused form lost what was typed');
      await run.mainPage('customer-new-refused');
      await page.getByLabel(/^country/i).fill('GB');
      await Promise.all([
        page.waitForURL((url) => url.pathname === `/customers/${reference}`),
        page.getByRole('button', { name: /create customer/i }).click(),
      ]);
      await page.getByRole('heading', { name: /Journey Joinery Ltd/ }).first().waitFor();
      if ((await page.locator('#vat_id').inputValue()) !== 'GB123456789') throw new Error('the VAT id was not kept');
      await page.locator('a[href="tel:+4414225550101"]').first().waitFor();

      await page.goto(new URL(`/invoices/new?customer=${reference}`, BASE_URL).href);
      await run.mainPage('invoice-new');
      const customer = page.locator('#customer');
      if ((await customer.inputValue().catch(() => '')) === '') {
        if ((await customer.evaluate((el) => el.tagName)) === 'SELECT') await customer.selectOption(reference);
        else await customer.fill(reference);
      }
      await page.locator('#line-0-description').fill('Oak worktop, 3 m');
      await page.locator('#line-0-quantity').fill('2');
      await page.locator('#line-0-unit_price').fill('415.50');
      await page.locator('#line-0-tax_rate').fill('20');
      await page.locator('#line-1-description').fill('Fitting');
      await page.locator('#line-1-quantity').fill('3');
      // A unit price finer than the cent, as EN 16931 allows.
      await page.locator('#line-1-unit_price').fill('13.333');
      await page.locator('#line-1-tax_rate').fill('0');
      // Live totals, rounded per line as the server does: 2 × 415.50 =
      // 831.00, tax 166.20; 3 × 13.333 = 39.999 → 40.00 → 1,037.20.
      await page.locator('#line-1-total').filter({ hasText: /40\.00/ }).waitFor();
      await page.locator('#total').filter({ hasText: /1,?037\.20/ }).waitFor();
      await Promise.all([
        page.waitForURL((url) => /^\/invoices\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith('/new')),
        page.locator('#issue').click(),
      ]);
      await page.getByText(/1,?037\.20/).first().waitFor();
      await page.getByText('13.333').first().waitFor();
      await run.mainPage('invoice-page');
      const number = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
      // The list, filtered to the customer, shows it.
      await page.goto(new URL(`/invoices?customer=${reference}`, BASE_URL).href);
      await page.getByRole('table').first().getByText(number).first().waitFor();
      await page.goto(new URL('/invoices', BASE_URL).href);
      await run.mainPage('invoices', { phone: true });
    },
  },
  {
    name: 'the customer opens their portal link and raises a dispute; the collector sees it on the timeline',
    base: () => BASE_URL,
    needs: ['/sign-in', '/customers'],
    async run(run) {
      const { page } = run;
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      // An overdue customer: their open invoices are what the portal shows.
      await page.goto(new URL('/customers?overdue=1', BASE_URL).href);
      const link = page.getByRole('table').first().locator('tbody tr').first().getByRole('link').first();
      const name = (await link.innerText()).trim();
      await Promise.all([page.waitForURL((url) => /^\/customers\/[^/]+$/.test(url.pathname)), link.click()]);
      const customerUrl = page.url();
      // The actions sit in closed <details>: open "Portal link", then make one.
      await page.locator('summary', { hasText: /portal link/i }).first().click();
      await page.getByRole('button', { name: /portal link/i }).click();
      await page.waitForLoadState('load');
      const portalText = (await page.locator('#portal-link').first().evaluate((el) => el.value || el.textContent)).trim();
      const portalUrl = new URL(portalText.replace(/^.*?(\/portal\/)/, '$1'), BASE_URL).href;

      // The customer: no session, only the link.
      const customerContext = await page.context().browser().newContext({ viewport: DESKTOP, locale: 'en-GB', timezoneId: 'UTC' });
      customerContext.setDefaultTimeout(STEP_TIMEOUT_MS);
      try {
        const portal = await customerContext.newPage();
        await portal.goto(portalUrl);
        await portal.getByText(name).first().waitFor();
        const portalRun = new Run(portal, run.failures);
        await portalRun.mainPage('portal', { phone: true });
        await portalRun.cardsAtPhone('#portal-invoices', 'portal-invoices');
        const reason = `Goods arrived damaged (${Date.now().toString(36)})`;
        const invoice = portal.locator('#dispute_invoice');
        const options = await invoice.locator('option').evaluateAll((os) => os.map((o) => o.value).filter((v) => v));
        if (options.length === 0) throw new Error('the portal offers no invoice to dispute');
        await invoice.selectOption(options[0]);
        await portal.locator('#dispute_reason').fill(reason);
        await portal.getByRole('button', { name: /raise a dispute/i }).click();
        await portal.waitForLoadState('load');
        await portal.getByText(/thank|received|we will/i).first().waitFor();
        // An altered link gets a clear page, not an error dump.
        const altered = portalUrl.slice(0, -1) + (portalUrl.endsWith('0') ? '1' : '0');
        const answer = await portal.goto(altered);
        if (answer.status() < 400) throw new Error(`an altered portal link answered ${answer.status()}`);
        await portal.getByText(/not valid|expired|ask/i).first().waitFor();

        // The collector sees the dispute on the customer's timeline.
        await page.goto(customerUrl);
        await page.getByText(reason).first().waitFor();
      } finally {
        await customerContext.close();
      }
    },
  },
  {
    name: 'the policy editor refuses a bad policy with its message, keeping the text',
    base: () => BASE_URL,
    needs: ['/sign-in', '/policy', '/policy/edit'],
    async run(run) {
      const { page } = run;
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      await page.goto(new URL('/policy', BASE_URL).href);
      await run.mainPage('policy');
      await page.goto(new URL('/policy/edit', BASE_URL).href);
      const text = page.locator('#policy-text');
      const good = await text.inputValue();
      const bad = `${good}\n[this is not a policy\n`;
      await text.fill(bad);
      await page.locator('#check').click();
      await page.waitForLoadState('load');
      await page.getByRole('alert').first().waitFor();
      const said = (await page.getByRole('alert').allInnerTexts()).join(' ');
      if (!/line \d+/i.test(said)) throw new Error(`the refusal does not say which line: "${said}"`);
      if ((await page.locator('#policy-text').inputValue()).trim() !== bad.trim()) {
        throw new Error('the refused policy text was not kept');
      }
      // With the script, a gutter numbers the lines beside the text.
      await page.locator('pre.gutter').waitFor();
      const numbered = (await page.locator('pre.gutter').textContent()).trim().split('\n').length;
      const lines = (await text.inputValue()).split('\n').length;
      if (numbered !== lines) throw new Error(`the gutter numbers ${numbered} lines for ${lines}`);
      await run.mainPage('policy-edit', { phone: true });
      await page.goto(new URL('/policy/versions', BASE_URL).href);
      await page.getByRole('table').first().waitFor();
    },
  },
  {
    name: 'a collector works the worklist on a phone: each task a card, no sideways scroll',
    base: () => BASE_URL,
    needs: ['/sign-in', '/worklist'],
    async run(run) {
      const { page } = run;
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      await page.goto(new URL('/worklist', BASE_URL).href);
      const csrf = await page.locator('input[name="csrf_token"]').first().inputValue();
      // The owner gives a customer who owes and has a phone a task, and adds a collector.
      const api = (method, path, body) =>
        page.evaluate(async ({ method, path, body, csrf }) => {
          const response = await fetch(path, {
            method,
            headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
            body: body ? JSON.stringify(body) : undefined,
          });
          return { status: response.status, body: await response.json().catch(() => null) };
        }, { method, path, body, csrf });
      const overdue = await api('GET', '/api/v1/customers?overdue=true&limit=100');
      if (overdue.status !== 200) throw new Error(`customers: ${overdue.status}`);
      let customer = null;
      for (const c of overdue.body.items) {
        const one = await api('GET', `/api/v1/customers/${encodeURIComponent(c.reference)}`);
        if (one.body?.phone) { customer = one.body; break; }
      }
      if (!customer) throw new Error('the demo book has no overdue customer with a phone');
      const task = await api('POST', '/api/v1/tasks', { customer: customer.reference, title: `Call ${customer.name} about what is overdue` });
      if (task.status !== 201) throw new Error(`task: ${task.status} ${JSON.stringify(task.body)}`);
      const typed = await api('POST', '/api/v1/tasks', { customer: customer.reference, title: `Ask ${customer.name} for the remittance advice` });
      if (typed.status !== 201) throw new Error(`task: ${typed.status} ${JSON.stringify(typed.body)}`);
      const email = `cole-${Date.now().toString(36)}@demo.example`;
      // An owner invites; the collector accepts the one-time link.
      const invited = await api('POST', '/api/v1/invitations', { email, role: 'collector' });
      if (invited.status !== 201) throw new Error(`invitation: ${invited.status} ${JSON.stringify(invited.body)}`);
      const token = invited.body.link.split('/').pop();
      const user = await api('POST', '/api/v1/invitations/accept', { token, name: 'Cole Collector', password: PASSWORD });
      if (user.status !== 201) throw new Error(`collector: ${user.status} ${JSON.stringify(user.body)}`);

      // The collector, on a phone.
      const context = await page.context().browser().newContext({ viewport: PHONE, locale: 'en-GB', timezoneId: 'UTC' });
      context.setDefaultTimeout(STEP_TIMEOUT_MS);
      try {
        const phone = await context.newPage();
        const collector = new Run(phone, run.failures);
        await collector.signIn(BASE_URL, email, PASSWORD);
        await phone.goto(new URL('/worklist', BASE_URL).href);
        await phone.getByRole('heading', { name: /worklist/i }).first().waitFor();
        const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 0) throw new Error(`the worklist is ${overflow}px wider than a 390 px phone`);
        const failing = await axeCheck(phone, 'worklist as cards at phone width');
        if (failing.length > 0) run.failures.push(`worklist at phone width: ${failing.map((v) => v.id).join(', ')}`);
        await phone.screenshot({ path: join(SCREENSHOT_DIR, 'worklist-collector-phone.png'), fullPage: false });
        // The task's card: inside the screen, with the amount and the phone to tap.
        let card = phone.locator(`tr[data-task="${task.body.id}"]`);
        while ((await card.count()) === 0) {
          const next = phone.getByRole('link', { name: /next page/i });
          if ((await next.count()) === 0) throw new Error(`task #${task.body.id} is not on the worklist`);
          await Promise.all([phone.waitForURL(/page=/), next.first().click()]);
          card = phone.locator(`tr[data-task="${task.body.id}"]`);
        }
        await card.scrollIntoViewIfNeeded();
        const box = await card.boundingBox();
        if (!box || box.x < 0 || box.x + box.width > PHONE.width + 1) throw new Error(`the card is not within the screen: ${JSON.stringify(box)}`);
        await card.screenshot({ path: join(SCREENSHOT_DIR, 'worklist-card-phone.png') });
        const owed = (await card.locator('td.owed').innerText()).trim();
        if (!new RegExp(`[A-Z]{3} [0-9]`).test(owed)) throw new Error(`the card shows no amount owed: "${owed}"`);
        const owedBox = await card.locator('td.owed').boundingBox();
        if (!owedBox || owedBox.x + owedBox.width > PHONE.width + 1) throw new Error('the amount owed is off the screen');
        const tel = card.locator('a[href^="tel:"]');
        await tel.waitFor();
        if ((await tel.innerText()).trim() !== customer.phone) throw new Error(`the card's phone is "${await tel.innerText()}", not ${customer.phone}`);
        const telBox = await tel.boundingBox();
        if (!telBox || telBox.x + telBox.width > PHONE.width + 1) throw new Error('the phone link is off the screen');
        // One tap logs the outcome.
        await Promise.all([
          phone.waitForURL((url) => url.searchParams.has('done')),
          card.getByRole('button', { name: /left voicemail/i }).click(),
        ]);
        await phone.getByText(new RegExp(`Task #${task.body.id} is done`)).first().waitFor();
        // Words typed, then Enter: logged as typed (not as the first one-tap outcome).
        const other = phone.locator(`tr[data-task="${typed.body.id}"]`);
        await other.getByText(/a promise, or other words/i).click();
        const words = other.getByLabel(new RegExp(`outcome of task #${typed.body.id}`, 'i'));
        await words.fill('Reception will send it today');
        await Promise.all([
          phone.waitForURL((url) => url.searchParams.get('done') === String(typed.body.id)),
          words.press('Enter'),
        ]);
        const after = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (after > 0) throw new Error(`after the outcome the worklist is ${after}px wider than the phone`);
      } finally {
        await context.close();
      }
    },
  },
  {
    name: 'the common policy settings change a step through a form, and a bad value is refused naming the field',
    base: () => BASE_URL,
    needs: ['/sign-in', '/policy/settings'],
    async run(run) {
      const { page } = run;
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      await page.goto(new URL('/policy/settings', BASE_URL).href);
      await page.getByRole('heading', { name: /common policy settings/i }).first().waitFor();
      await run.mainPage('policy-settings', { phone: true });
      await page.locator('#step-1-days').fill('soon');
      await page.locator('#save').click();
      await page.waitForLoadState('load');
      const said = (await page.getByRole('alert').allInnerTexts()).join(' ');
      if (!/step 1, days past due/i.test(said)) throw new Error(`the refusal does not name the field: "${said}"`);
      if ((await page.locator('#step-1-days').inputValue()) !== 'soon') {
        throw new Error('what was typed was not kept');
      }
      await run.mainPage('policy-settings-refused');
      // Put it back, and move the last step a day later.
      await page.goto(new URL('/policy/settings', BASE_URL).href);
      const steps = await page.locator('input[type="hidden"][name$="-was"]').count();
      const last = page.locator(`#step-${steps}-days`);
      await last.fill(String(Number(await last.inputValue()) + 1));
      await page.locator('#settings-reason').fill('the last step a day later');
      await page.locator('#save').click();
      await page.waitForURL(/\/policy\?applied=/);
      await page.getByRole('status').first().waitFor();
    },
  },
  {
    name: 'today, the outbox, the worklist, the reports and the settings read as main pages',
    base: () => BASE_URL,
    needs: ['/sign-in', '/today', '/outbox', '/worklist', '/reports', '/settings'],
    async run(run) {
      const { page } = run;
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      await page.goto(new URL('/today', BASE_URL).href);
      await page.getByRole('heading', { name: /^today$/i }).first().waitFor();
      await run.mainPage('today', { phone: true });
      await page.goto(new URL('/outbox', BASE_URL).href);
      await page.getByRole('heading', { name: /outbox/i }).first().waitFor();
      await run.mainPage('outbox', { phone: true });
      // A message, read as the customer will: its HTML body in a sandboxed
      // frame (visible, with the body's words), the plain text folded, the
      // files it carries listed. An open invoice is e-mailed to have one.
      const csrf = await page.locator('input[name="csrf_token"]').first().inputValue();
      const queued = await page.evaluate(async (csrf) => {
        const list = await (await fetch('/api/v1/invoices?status=open&limit=50')).json();
        for (const invoice of list.items ?? []) {
          if (!invoice.number) continue;
          const sent = await fetch(`/api/v1/invoices/${encodeURIComponent(invoice.number)}/send`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
            body: '{}',
          });
          if (sent.status === 202) return sent.json();
        }
        return null;
      }, csrf);
      if (!queued) throw new Error('no open invoice of the demo book could be e-mailed');
      await page.goto(new URL('/outbox', BASE_URL).href);
      const read = page.getByRole('link', { name: `Read message ${queued.message_id}`, exact: true });
      await Promise.all([page.waitForURL((url) => url.pathname === `/outbox/${queued.message_id}`), read.click()]);
      await page.getByRole('link', { name: `${queued.number}.pdf` }).waitFor();
      const frame = page.locator('iframe#message-html');
      await frame.waitFor({ state: 'visible' });
      if ((await frame.getAttribute('sandbox')) !== '') throw new Error('the message frame is not sandboxed');
      const box = await frame.boundingBox();
      if (!box || box.height < 100) throw new Error(`the message frame is hidden or tiny: ${JSON.stringify(box)}`);
      await page.frameLocator('iframe#message-html').locator('body').getByText(/\w/).first().waitFor();
      await page.locator('#attached').waitFor();
      await run.mainPage('outbox-message', { phone: true });
      await page.goto(new URL('/worklist', BASE_URL).href);
      await page.getByRole('heading', { name: /worklist/i }).first().waitFor();
      await run.mainPage('worklist', { phone: true });
      await page.goto(new URL('/reports', BASE_URL).href);
      await page.getByRole('heading', { name: /aging/i }).first().waitFor();
      await run.mainPage('reports');
      const csv = await page.evaluate(async () => {
        const link = [...document.querySelectorAll('a')].find((a) => /\.csv/.test(a.getAttribute('href') ?? ''));
        if (!link) return null;
        const response = await fetch(link.href);
        return { type: response.headers.get('content-type'), head: (await response.text()).split('\n')[0] };
      });
      if (!csv || !/text\/csv/.test(csv.type ?? '')) throw new Error(`the aging CSV link is missing or not CSV: ${JSON.stringify(csv)}`);
      await page.goto(new URL('/settings', BASE_URL).href);
      await page.getByRole('heading', { name: /settings/i }).first().waitFor();
      await run.mainPage('settings');
    },
  },
  {
    name: 'recurring invoices: one set up through its form and shown; an import with a bad row is refused',
    base: () => BASE_URL,
    needs: ['/sign-in', '/recurring', '/recurring/new', '/imports'],
    async run(run) {
      const { page } = run;
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      await page.goto(new URL('/customers', BASE_URL).href);
      const href = await page.getByRole('table').first().locator('tbody tr').first().getByRole('link').first().getAttribute('href');
      const reference = decodeURIComponent(href.split('/').pop());
      await page.goto(new URL('/recurring', BASE_URL).href);
      await page.getByRole('heading', { name: /^recurring invoices$/i }).first().waitFor();
      await run.mainPage('recurring', { phone: true });
      await page.goto(new URL('/recurring/new', BASE_URL).href);
      await run.mainPage('recurring-new', { phone: true });
      await page.locator('#customer').fill(reference);
      await page.locator('#cadence').selectOption('monthly');
      await page.locator('#every').fill('15');
      await page.locator('#line-0-description').fill('Support plan');
      await page.locator('#line-0-quantity').fill('1');
      await page.locator('#line-0-unit_price').fill('250.00');
      await page.locator('#send_email').uncheck();
      await Promise.all([
        page.waitForURL((url) => /^\/recurring\/\d+$/.test(url.pathname)),
        page.getByRole('button', { name: /^set up$/i }).click(),
      ]);
      await page.getByRole('status').filter({ hasText: /is set up/ }).first().waitFor();
      await page.getByText('day 15 of every month').first().waitFor();
      await run.mainPage('recurring-page', { phone: true });

      // An import: the file is checked first; a bad row is refused with its
      // row, column and value, and nothing is written.
      await page.goto(new URL('/imports', BASE_URL).href);
      await run.mainPage('imports', { phone: true });
      const good = `IMPJ${Date.now().toString(36).toUpperCase().slice(-5)}`;
      const csv = `ref,name,credit_limit\n${good},Import Journey Ltd,100.00\nIMPBAD,Broken Row Ltd,not money\n`;
      await page.locator('#kind').selectOption('customers');
      await page.locator('#file').setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await page.locator('#check').click();
      await page.waitForLoadState('load');
      await page.getByRole('alert').filter({ hasText: /nothing was written/i }).first().waitFor();
      const problem = page.locator('#problems tbody tr').filter({ hasText: 'not money' }).first();
      await problem.waitFor();
      if (!/^\s*3\b/.test(await problem.innerText())) {
        throw new Error(`the problem is not on row 3: "${await problem.innerText()}"`);
      }
      if ((await page.locator('#confirm').count()) > 0) throw new Error('a refused file is offered for import');
      await run.mainPage('imports-refused', { phone: true });
      const written = await page.evaluate(async (ref) => (await fetch(`/customers/${ref}`)).status, good);
      if (written !== 404) throw new Error(`the refused file's good row was written (GET /customers/${good} answered ${written})`);
    },
  },
  {
    name: 'the owner sets the organisation profile and an e-mail template',
    base: () => BASE_URL,
    needs: ['/sign-in', '/settings/profile', '/settings/templates', '/settings/email'],
    async run(run) {
      const { page } = run;
      await run.signIn(BASE_URL, EMAIL, PASSWORD);
      await page.goto(new URL('/settings', BASE_URL).href);
      await Promise.all([
        page.waitForURL((url) => url.pathname === '/settings/profile'),
        page.getByRole('link', { name: 'Organisation profile' }).click(),
      ]);
      await page.getByLabel(/^Street address/).fill('1 Market Street\nSuite 200');
      await page.getByLabel(/^Postcode/).fill('94105');
      await page.getByLabel(/^City/).fill('San Francisco');
      await page.getByLabel(/^State, county or province/).fill('CA');
      await page.getByLabel(/^Country/).fill('US');
      await page.getByLabel(/^Other tax registration/).fill('SR-123-4567');
      await page.getByLabel(/^Company number/).fill('C1234567');
      // A mistyped IBAN is refused by its field, and what was typed stays.
      await page.getByLabel(/^IBAN/).fill('GB00 WEST 1234 5698 7654 32');
      await Promise.all([
        page.waitForLoadState('load'),
        page.getByRole('button', { name: 'Save the profile' }).click(),
      ]);
      const refusal = (await page.getByRole('alert').allInnerTexts()).join(' ');
      if (!/IBAN/.test(refusal)) throw new Error(`the refusal does not name the IBAN: "${refusal}"`);
      if ((await page.getByLabel(/^City/).inputValue()) !== 'San Francisco') {
        throw new Error('the refused profile form lost what was typed');
      }
      await run.mainPage('settings-profile-refused', { phone: true });
      await page.getByLabel(/^IBAN/).fill('GB82 WEST 1234 5698 7654 32');
      await Promise.all([
        page.waitForURL((url) => url.searchParams.has('saved')),
        page.getByRole('button', { name: 'Save the profile' }).click(),
      ]);
      await page.locator('#profile-saved').waitFor();
      await page.locator('#einvoice-ready').waitFor();
      await run.mainPage('settings-profile', { phone: true });
      // US Letter and a logo (a 1 × 1 PNG) for the organisation's documents.
      await page.getByLabel('Paper size').selectOption('us_letter');
      await Promise.all([
        page.waitForURL((url) => url.searchParams.has('saved')),
        page.getByRole('button', { name: 'Save the profile' }).click(),
      ]);
      await page.getByLabel('Logo file').setInputFiles({
        name: 'logo.png',
        mimeType: 'image/png',
        buffer: Buffer.from(
          'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
          'base64',
        ),
      });
      await Promise.all([
        page.waitForURL((url) => url.searchParams.has('saved')),
        page.getByRole('button', { name: 'Upload the logo' }).click(),
      ]);
      await page.locator('#profile-logo').waitFor();
      if ((await page.getByLabel('Paper size').inputValue()) !== 'us_letter') {
        throw new Error('the paper size chosen was not kept');
      }

      await page.goto(new URL('/settings/templates', BASE_URL).href);
      await page.getByRole('heading', { name: 'E-mail templates' }).waitFor();
      await run.mainPage('settings-templates', { phone: true });
      await Promise.all([
        page.waitForURL((url) => url.pathname === '/settings/templates/first_notice'),
        page.getByRole('link', { name: 'first_notice' }).click(),
      ]);
      await page.getByLabel(/^Subject/).fill('Overdue invoices for {{customer_name}}: {{org_name}}');
      await Promise.all([
        page.waitForLoadState('load'),
        page.getByRole('button', { name: 'Preview' }).click(),
      ]);
      await page.locator('#preview-text').waitFor();
      const subject = await page.locator('#preview-subject').innerText();
      if (/\{\{/.test(subject)) throw new Error(`the preview left a placeholder: "${subject}"`);
      await run.mainPage('settings-template-preview', { phone: true });
      await Promise.all([
        page.waitForURL((url) => url.searchParams.get('done') === 'saved'),
        page.getByRole('button', { name: 'Save' }).click(),
      ]);
      await page.locator('#template-done').waitFor();
      // Back to Dun's wording, so later screenshots show the book as it was.
      await Promise.all([
        page.waitForURL((url) => url.searchParams.get('done') === 'reset'),
        page.getByRole('button', { name: /Dun's wording/ }).click(),
      ]);
      await page.goto(new URL('/settings/email', BASE_URL).href);
      await page.getByRole('heading', { name: 'Sending e-mail' }).waitFor();
      await run.mainPage('settings-email', { phone: true });
    },
  },
  // Last: the customer it adds would otherwise show in the screenshots.
  {
    name: 'a signed-in browser writes only with its CSRF token (session API)',
    base: () => BASE_URL,
    needs: ['/api/v1/session'],
    async run({ page }) {
      await page.goto(new URL('/healthz', BASE_URL).href);
      const outcome = await page.evaluate(async ({ email, password }) => {
        const json = { 'content-type': 'application/json' };
        const signIn = await fetch('/api/v1/session', {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ email, password }),
        });
        const who = await signIn.json();
        const reference = `BROWSER-${Date.now().toString(36).toUpperCase()}`;
        const body = JSON.stringify({ reference, name: 'Browser Test Ltd' });
        const without = await fetch('/api/v1/customers', { method: 'POST', headers: json, body });
        const withToken = await fetch('/api/v1/customers', {
          method: 'POST',
          headers: { ...json, 'x-csrf-token': who.csrf_token },
          body,
        });
        const list = await fetch('/api/v1/customers?limit=1');
        return {
          signIn: signIn.status,
          csrf: typeof who.csrf_token,
          cookieVisibleToScript: document.cookie.includes('dun_session'),
          without: without.status,
          withToken: withToken.status,
          list: list.status,
        };
      }, { email: EMAIL, password: PASSWORD });
      const expected = { signIn: 200, csrf: 'string', cookieVisibleToScript: false, without: 403, withToken: 201, list: 200 };
      for (const [key, value] of Object.entries(expected)) {
        if (outcome[key] !== value) {
          throw new Error(`${key}: expected ${value}, got ${outcome[key]} (${JSON.stringify(outcome)})`);
        }
      }
    },
  },
  {
    name: 'a customer opens a euro invoice in their portal: its payment reference and EPC QR code',
    base: () => BASE_URL,
    needs: ['/api/v1/session', '/api/v1/organisation/profile'],
    async run(run) {
      const { page } = run;
      await page.goto(new URL('/healthz', BASE_URL).href);
      // Set up through the session API: the organisation's IBAN, a customer
      // billed in euro, an issued invoice and a portal link.
      const made = await page.evaluate(async ({ email, password }) => {
        const json = { 'content-type': 'application/json' };
        const signIn = await fetch('/api/v1/session', { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
        const { csrf_token: csrf } = await signIn.json();
        const headers = { ...json, 'x-csrf-token': csrf };
        const call = async (method, path, body) => {
          const answer = await fetch(path, { method, headers, body: body && JSON.stringify(body) });
          const text = await answer.text();
          if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${text}`);
          return JSON.parse(text);
        };
        const profile = await call('GET', '/api/v1/organisation/profile');
        profile.payment = { ...profile.payment, iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', account_name: profile.seller.name };
        await call('PUT', '/api/v1/organisation/profile', profile);
        const reference = `EURO-${Date.now().toString(36).toUpperCase()}`;
        await call('POST', '/api/v1/customers', { reference, name: 'Euro Kunde GmbH' });
        const invoice = await call('POST', '/api/v1/invoices', {
          customer: reference,
          currency: 'EUR',
          issue: true,
          lines: [{ description: 'Paletten', quantity: '3', unit_price: '411.52' }],
        });
        const link = await call('POST', `/api/v1/customers/${encodeURIComponent(reference)}/portal-links`);
        return { number: invoice.number, url: link.url };
      }, { email: EMAIL, password: PASSWORD });
      const portalPath = made.url.replace(/^.*?(\/portal\/)/, '$1');
      const invoiceUrl = new URL(`${portalPath}/invoices/${encodeURIComponent(made.number)}`, BASE_URL).href;

      // The customer: no session, only the link.
      const customerContext = await page.context().browser().newContext({ viewport: DESKTOP, locale: 'de-DE', timezoneId: 'Europe/Berlin' });
      customerContext.setDefaultTimeout(STEP_TIMEOUT_MS);
      try {
        const portal = await customerContext.newPage();
        await portal.goto(invoiceUrl);
        await portal.getByRole('heading', { name: new RegExp(`Invoice ${escapeRegExp(made.number)}`) }).waitFor();
        const reference = (await portal.locator('#payment-reference').innerText()).trim();
        if (!/^RF\d\d/.test(reference)) throw new Error(`the payment reference reads "${reference}"`);
        await portal.locator('figure.epc-qr svg').waitFor();
        await portal.getByText('DE89370400440532013000').first().waitFor();
        await new Run(portal, run.failures).mainPage('portal-invoice', { phone: true });
      } finally {
        await customerContext.close();
      }
    },
  },
];

async function main() {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  mkdirSync(FAILURE_DIR, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const failures = [];
  const pending = [];
  let passed = 0;
  try {
    for (const journey of JOURNEYS.filter((j) => j.name.includes(ONLY))) {
      const base = journey.base();
      if (!base) {
        pending.push(`${journey.name}: no server given for it`);
        continue;
      }
      const missing = [];
      for (const path of journey.needs) {
        if (!(await served(base, path))) missing.push(path);
      }
      if (missing.length > 0) {
        pending.push(`${journey.name}: ${missing.join(', ')} not served yet`);
        continue;
      }
      console.log(`journey: ${journey.name}`);
      const context = await browser.newContext({
        viewport: DESKTOP,
        javaScriptEnabled: !journey.noJavaScript,
        locale: 'en-GB',
        timezoneId: 'UTC',
      });
      context.setDefaultTimeout(STEP_TIMEOUT_MS);
      const page = await context.newPage();
      const consoleErrors = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') consoleErrors.push(msg.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(String(error)));
      const before = failures.length;
      try {
        await journey.run(new Run(page, failures));
      } catch (error) {
        // What the page said (a form's error is a role="alert"), to read beside the step that failed.
        const alerts = await page.getByRole('alert').allInnerTexts().catch(() => []);
        const said = alerts.length > 0 ? `; the page says: ${alerts.join(' | ')}` : '';
        failures.push(`${journey.name}: ${error.message.split('\n')[0]} (at ${page.url()}${said})`);
        await page.screenshot({ path: join(FAILURE_DIR, `failed-${passed + failures.length}.png`) }).catch(() => {});
      }
      // A write refused on purpose (403 without the CSRF token) logs a resource error; only script errors count.
      const scriptErrors = consoleErrors.filter((text) => !/Failed to load resource/.test(text));
      if (scriptErrors.length > 0) {
        failures.push(`${journey.name}: errors in the browser console: ${scriptErrors.join(' | ')}`);
      }
      if (failures.length === before) {
        passed += 1;
        console.log('  ok');
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
  for (const p of pending) console.log(`PENDING (browser): ${p}`);
  for (const f of failures) console.log(`FAILED (browser): ${f}`);
  console.log(`journeys: ${passed} passed, ${failures.length} failed, ${pending.length} pending`);
  if (failures.length > 0) process.exit(1);
  if (REQUIRE_ALL && pending.length > 0) {
    console.log('DUN_BROWSER_REQUIRE_ALL=1: pending journeys fail the run');
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
