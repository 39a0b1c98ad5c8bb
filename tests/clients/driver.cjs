// One headless Chromium for the whole test session, driven over stdin/stdout, one JSON line each way.
//
// Requests:  {"op": "render", "card": {...}, "screenshot": "path.png"?}
//            {"op": "press", "card": {...}, "action": "Save", "fill": {"input id": "text" | ["a", "b"]}, "screenshot": "path.png"?}
//            {"op": "manifest", "manifest": {...}}         (Microsoft's Teams manifest schema, offline)
//            {"op": "endpoint"}                            (the browser's DevTools address, for the Playground driver)
// Answers:   {"ok": true, ...} or {"ok": false, "error": "..."}
//
// A press draws the card fresh, fills the inputs the way a person does (typing, clicking a radio or
// checkbox, picking from a drop-down) and clicks the button; it answers with what the renderer's
// onExecuteAction handed over (Action.Submit data merged with the inputs) or, when the renderer
// refused (a required input left empty), with the inputs it marked invalid.
"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");
const puppeteer = require("puppeteer-core");
const { AppManifestUtils } = require("@microsoft/app-manifest/build/generated-types");

const ROOT = path.resolve(__dirname, "..", "..");
const modules = path.join(ROOT, "node_modules");
const WIDTH = 500; // about the width Teams gives a card in a channel on the desktop client

async function main() {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--font-render-hinting=none"],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: WIDTH + 40, height: 800, deviceScaleFactor: 1 });
  const hostConfig = fs.readFileSync(path.join(__dirname, "data", "teams-light.hostconfig.json"), "utf8");
  await page.setContent(
    `<!doctype html><html><head><meta charset="utf-8"><style>
       body { margin: 0; padding: 20px; background: #f5f5f5; font-family: 'Segoe UI', 'DejaVu Sans', sans-serif; }
       #card { background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.2); }
     </style></head><body><div id="card"></div></body></html>`,
  );
  await page.addStyleTag({ path: path.join(modules, "adaptivecards", "dist", "adaptivecards.css") });
  await page.addScriptTag({ content: `window.TEAMS_HOST_CONFIG = ${hostConfig};` });
  await page.addScriptTag({ path: path.join(modules, "adaptivecards", "dist", "adaptivecards.min.js") });
  await page.addScriptTag({ path: path.join(modules, "markdown-it", "dist", "markdown-it.min.js") });
  await page.addScriptTag({ path: path.join(__dirname, "page.js") });
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));

  async function render(card, screenshot) {
    const drawn = await page.evaluate((c, w) => window.pf.render(c, w), card, WIDTH);
    if (screenshot) await shoot(screenshot);
    return drawn;
  }

  async function shoot(file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const element = await page.$("#card");
    await element.screenshot({ path: file });
  }

  async function fill(drawn, values) {
    for (const [id, wanted] of Object.entries(values || {})) {
      const input = drawn.inputs.find((i) => i.id === id);
      if (!input) throw new Error(`the card has no input ${id}; it has ${drawn.inputs.map((i) => i.id).join(", ")}`);
      const selector = (n) => `[data-pf-input="${id}#${n}"]`;
      if (input.type === "Input.ChoiceSet") {
        const values = Array.isArray(wanted) ? wanted : String(wanted).split(",").filter(Boolean);
        const select = input.controls.findIndex((c) => c.tag === "select");
        if (select >= 0) {
          // As a person picks: by what the option says (its value, where a test names that instead).
          const picked = await page.$eval(
            selector(select),
            (el, wanted) => wanted.map((w) => (Array.from(el.options).find((o) => o.text === w || o.value === w) || { value: w }).value),
            values,
          );
          await page.select(selector(select), ...picked);
          continue;
        }
        for (const value of values) {
          const n = input.controls.findIndex((c) => c.value === value);
          if (n < 0) throw new Error(`${id} offers no choice ${value}`);
          await page.click(selector(n));
        }
      } else if (input.type === "Input.Date" || input.type === "Input.Time") {
        // A date picker's typing order depends on the locale; set it as the picker does.
        await page.$eval(
          selector(0),
          (el, v) => {
            el.value = v;
            el.dispatchEvent(new Event("input", { bubbles: true }));
            el.dispatchEvent(new Event("change", { bubbles: true }));
          },
          String(wanted),
        );
      } else {
        await page.click(selector(0), { clickCount: 3 });
        await page.keyboard.press("Backspace");
        if (String(wanted).length > 200) {
          // Long text is pasted, as a person would.
          await page.$eval(
            selector(0),
            (el, v) => {
              el.value = v;
              el.dispatchEvent(new Event("input", { bubbles: true }));
            },
            String(wanted),
          );
        } else {
          await page.type(selector(0), String(wanted));
        }
      }
    }
  }

  async function press(card, title, values, screenshot) {
    const drawn = await render(card);
    const matching = drawn.actions.filter((a) => a.title === title);
    if (matching.length !== 1) {
      return { pressed: false, reason: `${matching.length} buttons titled ${JSON.stringify(title)}`, drawn };
    }
    const [action] = matching;
    if (!action.drawn || !action.enabled) return { pressed: false, reason: "the button is not drawn or disabled", drawn };
    await fill(drawn, values);
    if (screenshot) await shoot(screenshot);
    await page.click(`[data-pf-action="${action.index}"]`);
    const executed = await page.evaluate(() => window.pf.executed());
    const invalid = await page.evaluate(() => window.pf.invalid());
    return { pressed: true, executed, invalid, drawn };
  }

  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let answer;
    try {
      const request = JSON.parse(line);
      pageErrors.length = 0;
      if (request.op === "render") answer = await render(request.card, request.screenshot);
      else if (request.op === "press") answer = await press(request.card, request.action, request.fill, request.screenshot);
      else if (request.op === "endpoint") answer = { endpoint: browser.wsEndpoint() };
      else if (request.op === "manifest") answer = { errors: await AppManifestUtils.validateAgainstSchema(request.manifest) };
      else if (request.op === "quit") break;
      else throw new Error(`unknown op ${request.op}`);
      answer = { ok: true, pageErrors: pageErrors.slice(), ...answer };
    } catch (e) {
      answer = { ok: false, error: String(e && e.stack ? e.stack : e) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  }
  await browser.close();
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.stack ? e.stack : e) }) + "\n");
  process.exit(1);
});
