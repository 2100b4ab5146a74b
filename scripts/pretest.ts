/** `npm test` runs this first: a browser for the report and UI tests (scripts/browser.ts). */
import { ensureBrowser, GET_A_BROWSER } from "./browser.ts";

const browser = ensureBrowser();
// Not fatal here: the browser tests fail with this line, and every other test still runs.
console.error(browser ? `pretest: browser tests use ${browser}` : `pretest: ${GET_A_BROWSER}`);
