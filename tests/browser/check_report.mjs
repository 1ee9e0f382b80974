// Loads an HTML report in headless Chromium (Debian's) and checks it as a
// reader's browser would: no console error or warning, no request beyond
// the file itself, the named charts present, every chart's declared series
// and points equal to what the DOM really has, the latency chart showing
// every call, verdict links landing on a drawn call; then a full-page
// screenshot.
//   node check_report.mjs PAGE SCREENSHOT CHARTS BACKENDS
// CHARTS: comma-separated chart names that must be there; BACKENDS: how
// many backends the scenario has (the calls chart has one series each, plus
// failed calls). Prints "ok: ..." lines; exits 1 on the first failure.
import { chromium } from 'playwright-core';

const [page_path, shot, charts_arg, backends_arg] = process.argv.slice(2);
const want_charts = charts_arg.split(',');
const backends = Number(backends_arg);
const problems = [];
const fail = (what) => { console.log('FAIL: ' + what); problems.push(what); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1050, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') fail(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => fail('page error: ' + e.message));
  const url = 'file://' + page_path;
  page.on('request', (r) => { if (r.url() !== url) fail('request: ' + r.url()); });
  await page.goto(url);
  const seen = await page.evaluate(() => {
    const charts = {};
    for (const f of document.querySelectorAll('figure.chart')) {
      const series = [...f.querySelectorAll('g.series')].map((g) => {
        let marks = g.querySelectorAll('circle, rect').length;
        for (const p of g.querySelectorAll('polyline')) marks += p.points.numberOfItems;
        return { name: g.dataset.series, declared: Number(g.dataset.points), marks };
      });
      charts[f.dataset.chart] = { series_declared: Number(f.dataset.series),
                                  points_declared: Number(f.dataset.points), series };
    }
    const summary = document.querySelector('[data-summary=calls]');
    const links = [...document.querySelectorAll('a[href^="#call-"]')].map((a) => {
      const target = document.getElementById(a.getAttribute('href').slice(1));
      return target ? target.tagName : null;
    });
    return { charts, calls: summary ? Number(summary.dataset.calls) : -1, links,
             verdicts: document.querySelectorAll('table.verdicts tr').length - 1 };
  });
  for (const name of want_charts) {
    const c = seen.charts[name];
    if (!c) { fail(`no chart "${name}" (have ${Object.keys(seen.charts)})`); continue; }
    const marks = c.series.reduce((n, s) => n + s.marks, 0);
    const declared = c.series.reduce((n, s) => n + s.declared, 0);
    if (c.series.length !== c.series_declared) fail(`${name}: ${c.series.length} series drawn, ${c.series_declared} declared`);
    if (marks !== declared || declared !== c.points_declared) fail(`${name}: ${marks} marks drawn, ${declared} declared by series, ${c.points_declared} by the chart`);
    if (c.points_declared === 0) fail(`${name}: empty`);
    console.log(`ok: ${name}: ${c.series.length} series, ${marks} points`);
  }
  if (seen.charts.calls && seen.charts.calls.series_declared !== backends + 1) {
    fail(`calls: ${seen.charts.calls.series_declared} series, want ${backends + 1}`);
  }
  if (seen.charts.latency && seen.calls <= 5000 && seen.charts.latency.points_declared !== seen.calls) {
    fail(`latency: ${seen.charts.latency.points_declared} dots for ${seen.calls} calls`);
  }
  for (const tag of seen.links) if (tag !== 'circle') fail(`a verdict links to ${tag}, not a drawn call`);
  console.log(`ok: ${seen.verdicts} verdicts, ${seen.links.length} linked to their call`);
  await page.screenshot({ path: shot, fullPage: true });
  console.log('ok: screenshot ' + shot);
} finally {
  await browser.close();
}
process.exit(problems.length ? 1 : 0);
