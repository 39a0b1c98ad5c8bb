// Microsoft 365 Agents Playground, driven headless as a person uses it.
//
// Usage: node playground.cjs PLAYGROUND_URL SCRIPT.json SHOTS_DIR
// The script is a list of steps, run in one page (the Playground keeps a conversation per page):
//   {"chat": "General"}                         open a conversation in the left rail
//   {"say": "start Churn model", "mention"?: "Test Bot"}  type a message (after @mentioning the bot) and send it
//   {"card": "Question 1 of 8", "fill": {"Label": "text" | "Choice title" | ["Choice", ...] | "YYYY-MM-DD"}, "press": "Save"}
//                                               in the newest card showing that text, fill inputs by
//                                               their label (typing, clicking choices) and click a button
//   {"wait": "Question 2 of 8"}                  until the conversation shows that text
//   {"shot": "name"}                             a screenshot of the page
// Prints one JSON line: {"ok": true, "text": what the conversation shows at the end} or {"ok": false, "error", "step"}.
"use strict";

const fs = require("fs");
const path = require("path");
const puppeteer = require("puppeteer-core");

const [url, scriptFile, shots] = process.argv.slice(2);
const steps = JSON.parse(fs.readFileSync(scriptFile, "utf8"));
const TIMEOUT = 15000;

async function main() {
  // The tests' one browser (driver.cjs) when its address is given, else one of our own.
  const shared = process.env.BROWSER_WS_ENDPOINT;
  const browser = shared
    ? await puppeteer.connect({ browserWSEndpoint: shared })
    : await puppeteer.launch({
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
      });
  const page = await browser.newPage();
  const timings = [];
  await page.setViewport({ width: 1300, height: 1000 });
  // The Playground asks the Office CDN for Segoe UI; nothing else leaves the machine. Answer those
  // requests locally rather than let them time out.
  await page.setRequestInterception(true);
  const outside = [];
  page.on("request", (request) => {
    const target = new URL(request.url());
    if (["127.0.0.1", "localhost"].includes(target.hostname) || target.protocol === "data:") request.continue();
    else {
      outside.push(request.url());
      request.respond({ status: 404, body: "" });
    }
  });
  let step = null;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await page.goto(url, { waitUntil: "networkidle2", timeout: 30000 });
        break;
      } catch (e) {
        // The Playground says it is listening a moment before it serves its page.
        if (attempt >= 20 || !String(e).includes("ERR_CONNECTION")) throw e;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    await page.waitForSelector("[contenteditable=true]", { timeout: TIMEOUT });
    for (step of steps) {
      const began = Date.now();
      if (step.chat) await openChat(page, step.chat);
      else if (step.say) await say(page, step.say, step.mention);
      else if (step.card) await press(page, step);
      else if (step.wait) await waitFor(page, step.wait);
      if (step.shot) {
        fs.mkdirSync(shots, { recursive: true });
        await page.screenshot({ path: path.join(shots, `${step.shot}.png`) });
      }
      timings.push(Date.now() - began);
    }
    const text = await page.evaluate(() => document.body.innerText);
    process.stdout.write(JSON.stringify({ ok: true, text, outside, timings }) + "\n");
  } catch (e) {
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, "failed.png") }).catch(() => {});
    process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.stack ? e.stack : e), step, outside }) + "\n");
  }
  await page.close();
  if (shared) await browser.disconnect();
  else await browser.close();
}

async function openChat(page, name) {
  const [item] = await page.$$(`xpath/.//*[normalize-space(text())="${name}"]`);
  if (!item) throw new Error(`no conversation named ${name}`);
  await item.click();
  await page.waitForSelector("[contenteditable=true]", { timeout: TIMEOUT });
}

async function say(page, text, mention) {
  const box = await page.$("[contenteditable=true]");
  await box.click();
  if (mention) {
    // In a channel the bot hears only a post that @mentions it: pick it from the mention list.
    await page.keyboard.type("@" + mention.slice(0, 4));
    const option = await page.waitForSelector(`xpath/.//*[normalize-space(text())="${mention}"]`, { timeout: TIMEOUT });
    await option.click();
    await page.keyboard.type(" ");
  }
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

async function waitFor(page, needle) {
  await page.waitForFunction(
    (n) => [...document.querySelectorAll(".ac-adaptiveCard")].some((c) => c.innerText.includes(n)) || document.body.innerText.includes(n),
    { timeout: TIMEOUT },
    needle,
  );
}

async function press(page, step) {
  await waitFor(page, step.card);
  const cards = await page.$$(".ac-adaptiveCard");
  let card = null;
  for (const candidate of cards.reverse()) {
    if ((await candidate.evaluate((c) => c.innerText)).includes(step.card)) {
      card = candidate;
      break;
    }
  }
  if (!card) throw new Error(`no card shows ${step.card}`);
  for (const [label, value] of Object.entries(step.fill || {})) {
    // The input whose label reads `label` (and any note after it in brackets): its container follows the label.
    const field = await card.evaluateHandle((c, l) => {
      const read = (x) => x.innerText.replace(/\s*\*$/, "").replace(/\s*\(.*\)$/, "").trim();
      const found = [...c.querySelectorAll("label.ac-richTextBlock")].find((x) => read(x) === l);
      return found ? found.parentElement : null;
    }, label);
    if (!(await field.evaluate((f) => f !== null))) throw new Error(`no input labelled ${label}`);
    const choices = await field.$$("input[type=radio], input[type=checkbox]");
    if (choices.length) {
      for (const title of Array.isArray(value) ? value : [value]) {
        const [option] = await field.$$(`xpath/.//label[normalize-space(.)="${title}"]`);
        if (!option) throw new Error(`${label} offers no ${title}`);
        await option.click();
      }
      continue;
    }
    const picker = await field.$("input[aria-haspopup=dialog]");
    if (picker) {
      await pickDate(page, picker, String(value));
      continue;
    }
    const box = await field.$("textarea, input");
    if (!box) throw new Error(`no text box for ${label}`);
    await box.click({ clickCount: 3 });
    await page.keyboard.press("Backspace");
    await box.type(String(value));
    await page.keyboard.press("Tab"); // leaving the box commits it (a date picker parses what was typed)
  }
  const [button] = await card.$$(`xpath/.//button[@title="${step.press}"]`);
  if (!button) throw new Error(`no button ${step.press}`);
  await button.click();
  if (step.then) await waitFor(page, step.then);
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

// Teams' date picker is a calendar: open it, page to the month, click the day (value: YYYY-MM-DD).
async function pickDate(page, input, value) {
  const [year, month, day] = value.split("-").map(Number);
  const label = `${day}, ${MONTHS[month - 1]}, ${year}`;
  await input.click();
  const calendar = await page.waitForSelector("[role=dialog][aria-label=Calendar]", { timeout: TIMEOUT });
  const heading = `${MONTHS[month - 1]} ${year}`;
  for (let i = 0; i < 48; i++) {
    // Page by the heading, not by what is drawn: the grid slides, so a click at a day's old place lands elsewhere.
    const shown = await calendar.$eval("button[aria-label] span[aria-live]", (s) => s.textContent.trim());
    if (shown === heading) {
      const [dayButton] = await calendar.$$(`xpath/.//td[not(ancestor::tr[@aria-hidden="true"])]//button[@aria-label="${label}"]`);
      if (!dayButton) throw new Error(`${heading} has no day ${label}`);
      await new Promise((resolve) => setTimeout(resolve, 300)); // let the slide end
      await dayButton.click();
      return;
    }
    const [next] = await calendar.$$(`xpath/.//button[starts-with(@title, "Next month")]`);
    await next.click();
    await page.waitForFunction(
      (c, before) => c.querySelector("button[aria-label] span[aria-live]").textContent.trim() !== before,
      { timeout: TIMEOUT },
      calendar,
      shown,
    );
  }
  throw new Error(`the calendar never showed ${label}`);
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String(e) }) + "\n");
  process.exit(1);
});
