/**
 * A real browser for the web page's tests: Debian's Chromium (scripts/test-deps.sh installs
 * it), headless, driven by playwright-core, which downloads no browser of its own.
 */
import { chromium, type Browser } from 'playwright-core';

/** The Chromium binary (CHROMIUM overrides, as in scripts/test-deps.sh). */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Launches headless Chromium; close it with `browser.close()`. */
export function launchChromium(): Promise<Browser> {
  // The tests run as root in CI, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
