#!/usr/bin/env node
// Open a pybpf output in a real browser (Debian's chromium, headless, driven
// by the npm `playwright-core` package) and check what a person would see.
//
//   speedscope FILE NAME...   speedscope's own app (from the npm package)
//       loads FILE through #profileURL=; the page must show no import error
//       and NAME... in the sandwich view's table of functions ("rows" in the
//       summary: how many rows each NAME has there).  For its own
//       JSON (FILE.json), the title must be the file's name and the toolbar
//       the first profile's.  Other files are whatever speedscope imports
//       (collapsed stacks, say).
//   flamegraph FILE.svg NAME...    the SVG itself (a profile's flame graph or
//       pybpf diff's); its script must run without errors, NAME... must be
//       frames (their fills and tooltips' last lines in the summary, "named");
//       clicking the first NAME's widest frame
//       must zoom it to the full width and "Reset Zoom" undo it; searching for
//       it must report the share of samples it matched.
//   heatmap FILE.html NAME...   the heat map page; its script must run without
//       errors; each NAME must be a row of its functions table (their shares
//       in the summary), and clicking it must bring its first line into view,
//       flashing; with --search TEXT, typing TEXT must mark the lines holding
//       it and Enter bring the first into view (the summary gives the status
//       line and the marked lines' number, own and total shares).
// --screenshot PNG keeps what the page showed (speedscope: the sandwich view,
// and the time-order view in PNG-time-order.png).
//
// Files are served from 127.0.0.1 only; the browser gets an empty profile
// directory and no network beyond that.  Prints a JSON summary on stdout.
//
// usage: node tools/browser-check.js [--modules DIR] [--screenshot PNG] [--search TEXT] MODE FILE NAME...
// exit: 0 all seen, 1 a check failed, 2 usage or setup error
'use strict';

const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-quic',
];
const TIMEOUT_MS = 30000;
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.wasm': 'application/wasm',
  '.png': 'image/png', '.woff2': 'font/woff2' };

function usage() {
  console.error('usage: node tools/browser-check.js [--modules DIR] [--screenshot PNG] [--search TEXT] speedscope|flamegraph|heatmap FILE NAME...');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { modules: path.join(__dirname, '..', 'build', 'npm', 'node_modules'), screenshot: null };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--modules' && i + 1 < argv.length) opts.modules = path.resolve(argv[++i]);
    else if (argv[i] === '--screenshot' && i + 1 < argv.length) opts.screenshot = path.resolve(argv[++i]);
    else if (argv[i] === '--search' && i + 1 < argv.length) opts.search = argv[++i];
    else rest.push(argv[i]);
  }
  if (rest.length < 3 || !['speedscope', 'flamegraph', 'heatmap'].includes(rest[0])) usage();
  [opts.mode, opts.file, ...opts.names] = rest;
  return opts;
}

// Serves ROUTES (url path -> file) and every file under ROOT, on 127.0.0.1.
function serve(root, routes) {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (url === '/favicon.ico') {
      res.writeHead(204).end();	// the browser asks on its own; nothing is missing
      return;
    }
    const file = routes[url] || (root && path.join(root, path.normalize(url)));
    if (!file || (root && !routes[url] && !file.startsWith(root)) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

class Failure extends Error {}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function check(cond, msg) {
  if (!cond) throw new Failure(msg);
}

async function checkSpeedscope(page, base, opts, result) {
  result.rows = {};
  const profileUrl = `${base}/${encodeURIComponent(path.basename(opts.file))}`;
  await page.goto(`${base}/index.html#profileURL=${encodeURIComponent(profileUrl)}&view=sandwich`);
  // The title becomes "<name> - speedscope" once the import is done.
  await page.waitForFunction(() => document.title !== 'speedscope', null, { timeout: TIMEOUT_MS });
  result.title = await page.title();
  const body = await page.evaluate(() => document.body.innerText);
  check(!/Something went wrong/.test(body), `speedscope could not import the profile: ${body.slice(0, 300)}`);
  if (opts.file.endsWith('.json')) {
    const doc = JSON.parse(fs.readFileSync(opts.file, 'utf8'));
    check(result.title === `${doc.name} - speedscope`, `title ${JSON.stringify(result.title)}, expected the file's name ${JSON.stringify(doc.name)}`);
    // The toolbar names the profile shown: the first thread's.
    const shown = doc.profiles[doc.activeProfileIndex || 0].name;
    await page.getByText(shown).first().waitFor({ timeout: TIMEOUT_MS });
  }
  // A function's row: its name, maybe followed by " (file:line)" as in collapsed stacks.
  for (const name of opts.names) {
    const row = new RegExp(`^${escapeRegExp(name)}( \\(.*\\))?$`);
    await page.getByText(row).first().waitFor({ timeout: TIMEOUT_MS });
    result.rows[name] = await page.getByText(row).count();
  }
  result.seen = opts.names;
  if (opts.screenshot) {
    await page.screenshot({ path: opts.screenshot });
    result.screenshots = [opts.screenshot];
  }
  // The flame chart in time order (drawn with WebGL on a canvas).
  await page.getByText('Time Order', { exact: false }).first().click();
  await page.waitForTimeout(500);
  if (opts.screenshot) {
    const timeOrder = opts.screenshot.replace(/(\.png)?$/, '-time-order.png');
    await page.screenshot({ path: timeOrder });
    result.screenshots.push(timeOrder);
  }
}

async function checkFlamegraph(page, base, opts, result) {
  await page.goto(`${base}/flamegraph.svg`);
  await page.waitForLoadState('load');
  const frames = await page.$$eval('#frames > g', (gs) => gs.map((g) => {
    const r = g.querySelector('rect');
    return { title: g.querySelector('title').textContent, width: parseFloat(r.getAttribute('width')),
      fill: r.getAttribute('fill') };
  }));
  check(frames.length > 0 && frames[0].title.startsWith('all\n'), 'no "all" frame at the root');
  const full = frames[0].width;
  const labelOf = (f) => f.title.slice(0, f.title.lastIndexOf('\n'));
  result.named = {};
  for (const name of opts.names) {
    const named = frames.filter((f) => labelOf(f).startsWith(name + ' ') || labelOf(f) === name);
    check(named.length > 0, `no frame named ${name}`);
    result.named[name] = named.map((f) => ({ fill: f.fill, info: f.title.slice(f.title.lastIndexOf('\n') + 1) }));
  }
  result.frames = frames.length;

  // Zoom into the widest frame of the first name, then back.
  const target = opts.names[0];
  const index = frames.reduce((best, f, i) => (labelOf(f).startsWith(target + ' ') &&
    (best < 0 || f.width > frames[best].width) ? i : best), -1);
  const g = page.locator('#frames > g').nth(index);
  await g.locator('rect').click({ force: true });
  const zoomed = parseFloat(await g.locator('rect').getAttribute('width'));
  check(Math.abs(zoomed - full) < 0.01, `clicking ${target} made it ${zoomed}px wide, not ${full}px`);
  check(await page.locator('#reset').isVisible(), '"Reset Zoom" did not appear');
  await page.locator('#reset').click();
  const reset = parseFloat(await g.locator('rect').getAttribute('width'));
  check(Math.abs(reset - frames[index].width) < 0.01, `"Reset Zoom" left ${target} ${reset}px wide`);

  // Search through the prompt, as a person would.
  page.once('dialog', (dialog) => dialog.accept(`^${target} `));
  await page.locator('#search').click();
  const matched = await page.locator('#matched').textContent();
  const m = /^Matched: ([\d.]+)%$/.exec(matched);
  check(m, `search showed ${JSON.stringify(matched)}`);
  result.matched_percent = parseFloat(m[1]);
  if (opts.screenshot) {
    await page.screenshot({ path: opts.screenshot });
    result.screenshots = [opts.screenshot];
  }
}

// Is ELEMENT's box inside the window now?
async function inView(page, locator) {
  const box = await locator.boundingBox();
  const height = page.viewportSize().height;
  return box !== null && box.y >= 0 && box.y + box.height <= height;
}

async function checkHeatmap(page, base, opts, result) {
  await page.goto(`${base}/heatmap.html`);
  await page.waitForSelector('body[data-ready=yes]', { timeout: TIMEOUT_MS });
  result.title = await page.title();
  result.functions = {};
  for (const name of opts.names) {
    const row = page.locator('#function-rows tr').filter({ has: page.locator('td.name a', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) }).first();
    check(await row.count() > 0, `no function ${name} in the table`);
    const cells = await row.locator('td').allTextContents();
    const href = await row.locator('a').getAttribute('href');
    await row.locator('a').click();
    const target = page.locator(href);
    await target.waitFor({ timeout: TIMEOUT_MS });
    await page.waitForTimeout(100);
    check(await inView(page, target), `clicking ${name} did not bring ${href} into view`);
    check((await target.getAttribute('class') || '').includes('flash'), `${href} did not flash`);
    result.functions[name] = { own: cells[0], total: cells[1], where: cells[3], line: +href.split('-l')[1],
      lineText: await target.locator('td.src').textContent() };
  }
  if (opts.search) {
    await page.locator('#search').fill(opts.search);
    result.status = await page.locator('#matches').textContent();
    const marked = page.locator('tr.match');
    result.marked = [];
    for (let i = 0; i < await marked.count(); i++) {
      const cells = await marked.nth(i).locator('td').allTextContents();
      result.marked.push({ line: +cells[0], own: cells[1], total: cells[2], text: cells[3] });
    }
    check(result.marked.length > 0, `searching for ${opts.search} marked no line`);
    await page.locator('#search').press('Enter');
    await page.waitForTimeout(100);
    check(await inView(page, marked.first()), 'Enter did not bring the first match into view');
  }
  if (opts.screenshot) {
    await page.screenshot({ path: opts.screenshot });
    result.screenshots = [opts.screenshot];
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let chromium;
  try {
    ({ chromium } = require(path.join(opts.modules, 'playwright-core')));
  } catch (e) {
    console.error(`browser-check: playwright-core not found under ${opts.modules}; run \`make deps\``);
    process.exit(2);
  }
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`browser-check: ${CHROMIUM} is missing; run \`make deps\` (Debian package chromium)`);
    process.exit(2);
  }
  const app = path.join(opts.modules, 'speedscope', 'dist', 'release');
  const server = opts.mode === 'speedscope'
    ? await serve(app, { [`/${path.basename(opts.file)}`]: path.resolve(opts.file) })
    : await serve(null, { [`/${opts.mode === 'heatmap' ? 'heatmap.html' : 'flamegraph.svg'}`]: path.resolve(opts.file) });
  const base = `http://127.0.0.1:${server.address().port}`;
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pybpf-chromium-'));
  const result = { mode: opts.mode, file: opts.file };
  const problems = [];
  let context;
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 800 },
    });
    const page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
    page.on('request', (req) => { if (!req.url().startsWith(base) && !req.url().startsWith('data:')) problems.push(`request outside: ${req.url()}`); });
    if (opts.mode === 'speedscope') await checkSpeedscope(page, base, opts, result);
    else if (opts.mode === 'heatmap') await checkHeatmap(page, base, opts, result);
    else await checkFlamegraph(page, base, opts, result);
    check(problems.length === 0, problems.join('\n'));
  } catch (e) {
    console.error(`browser-check: ${opts.mode} ${opts.file}: ${e instanceof Failure ? '' : 'error: '}${e.message}`);
    process.exitCode = 1;
  } finally {
    if (context) await context.close();
    server.close();
    fs.rmSync(profileDir, { recursive: true, force: true });
  }
  if (!process.exitCode) process.stdout.write(JSON.stringify(result) + '\n');
}

main();
