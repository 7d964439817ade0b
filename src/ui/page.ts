// The UI's single page. Static: data comes from the JSON endpoints and is inserted with
// textContent only, so nothing stored in the database can become markup.
import { createHash } from "node:crypto";
import { listColumns } from "./queries.js";

// The run list's figures come from the metric table (listColumns); their keys are baked into the
// script, which stays one static string (its hash is the page's script policy).
const COLUMNS = listColumns().map((c) => ({ key: c.key, title: c.title }));
const escapeText = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d8dee4;--bg:#f6f8fa;--accent:#0072B2}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line);padding:16px 28px;display:flex;align-items:baseline;gap:16px}
header h1{margin:0;font-size:20px}
header .sub{color:var(--muted)}
main{padding:12px 28px 40px}
h2{font-size:16px;margin:20px 0 8px}
.bar{display:flex;flex-wrap:wrap;gap:10px;align-items:center;background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin-bottom:10px}
.bar label{color:var(--muted);font-size:13px}
input[type=search],select{font:inherit;padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:#fff}
input[type=search]{min-width:260px}
button{font:inherit;padding:5px 12px;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button:disabled{opacity:.45;cursor:default}
.tablewrap{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 10px;border-bottom:1px solid #eef1f4;text-align:left;white-space:nowrap}
th{background:#f3f5f8;font-weight:600}
td.id{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.selected td{background:#eaf3fb}
a{color:var(--accent)}
.status-completed{color:#00795a}.status-failed{color:#b34700}.status-running{color:#0072B2}.status-interrupted{color:#8a6d00}
.muted{color:var(--muted)}
.empty{color:var(--muted);font-style:italic;padding:10px}
`;

const SCRIPT = `
(function(){
  var COLUMNS = ${JSON.stringify(COLUMNS.map((c) => c.key)).replace(/</g, "\\u003c")};
  var selected = [];
  var names = {};
  var $ = function(id){ return document.getElementById(id); };
  function el(tag, text, cls){ var e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; }
  function num(x, digits){ return x === null || x === undefined ? '' : Number(x).toFixed(digits); }
  function reportLink(ids, text){ var a = el('a', text); a.href = 'report?ids=' + ids.map(encodeURIComponent).join(','); a.target = '_blank'; a.rel = 'noopener'; return a; }
  function getJson(url){ return fetch(url, { headers: { accept: 'application/json' } }).then(function(r){ if (!r.ok) throw new Error(url + ': HTTP ' + r.status); return r.json(); }); }

  function renderExperiments(rows){
    var body = $('experiments-body'); body.replaceChildren();
    var select = $('f-experiment'); var current = select.value;
    select.replaceChildren(el('option', 'all experiments')); select.firstChild.value = '';
    var needle = $('f-q').value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function(x){
      var o = el('option', x.name + ' (' + x.runs + ')'); o.value = x.id; select.appendChild(o);
      if (needle && (x.name + ' ' + x.id).toLowerCase().indexOf(needle) < 0) return;
      shown++;
      names[x.id] = x.name;
      var tr = document.createElement('tr'); tr.setAttribute('data-experiment', x.id);
      if (selected.indexOf(x.id) >= 0) tr.className = 'selected';
      var cb = document.createElement('input'); cb.type = 'checkbox'; cb.checked = selected.indexOf(x.id) >= 0; cb.setAttribute('aria-label', 'select experiment ' + x.id);
      cb.addEventListener('change', function(){ toggle(x.id, cb.checked); tr.className = cb.checked ? 'selected' : ''; });
      var td0 = document.createElement('td'); td0.appendChild(cb); tr.appendChild(td0);
      tr.appendChild(el('td', x.name)); tr.appendChild(el('td', x.id, 'muted')); tr.appendChild(el('td', x.status, 'status-' + x.status));
      tr.appendChild(el('td', x.runs, 'num')); tr.appendChild(el('td', (x.createdAt || '').replace('T', ' ').slice(0, 19)));
      var td = document.createElement('td'); if (x.runs > 0) td.appendChild(reportLink([x.id], 'report')); tr.appendChild(td);
      body.appendChild(tr);
    });
    select.value = current;
    $('experiments-empty').hidden = shown > 0;
  }

  function renderRuns(rows){
    var body = $('runs-body'); body.replaceChildren();
    rows.forEach(function(r){
      names[r.id] = r.label || r.cellKey || r.id;
      var tr = document.createElement('tr'); tr.setAttribute('data-run', r.id);
      if (selected.indexOf(r.id) >= 0) tr.className = 'selected';
      var cb = document.createElement('input'); cb.type = 'checkbox'; cb.checked = selected.indexOf(r.id) >= 0; cb.setAttribute('aria-label', 'select run ' + r.id);
      cb.addEventListener('change', function(){ toggle(r.id, cb.checked); tr.className = cb.checked ? 'selected' : ''; });
      var td0 = document.createElement('td'); td0.appendChild(cb); tr.appendChild(td0);
      tr.appendChild(el('td', r.id, 'id'));
      tr.appendChild(el('td', r.createdAt.replace('T', ' ').slice(0, 19)));
      tr.appendChild(el('td', r.status, 'status-' + r.status));
      tr.appendChild(el('td', r.label || r.cellKey || ''));
      tr.appendChild(el('td', r.model || ''));
      tr.appendChild(el('td', r.target || ''));
      tr.appendChild(el('td', r.load));
      tr.appendChild(el('td', r.completed === null ? '' : r.completed + '/' + r.failed, 'num'));
      COLUMNS.forEach(function(c){ tr.appendChild(el('td', num(r.metrics[c], 1), 'num')); });
      var td = document.createElement('td'); td.appendChild(reportLink([r.id], 'report')); tr.appendChild(td);
      body.appendChild(tr);
    });
    $('runs-empty').hidden = rows.length > 0;
    $('runs-count').textContent = rows.length + ' run' + (rows.length === 1 ? '' : 's');
  }

  function toggle(id, on){
    var i = selected.indexOf(id);
    if (on && i < 0) selected.push(id);
    if (!on && i >= 0) selected.splice(i, 1);
    var base = $('baseline'); var keep = base.value; base.replaceChildren();
    selected.forEach(function(s){ var o = el('option', names[s] || s); o.value = s; base.appendChild(o); });
    if (selected.indexOf(keep) >= 0) base.value = keep;
    $('compare').disabled = selected.length < 2;
    $('selection').textContent = selected.length ? selected.length + ' selected' : 'select two or more runs or experiments to compare';
  }

  function query(){
    var p = new URLSearchParams();
    if ($('f-q').value) p.set('q', $('f-q').value);
    if ($('f-status').value) p.set('status', $('f-status').value);
    if ($('f-experiment').value) p.set('experiment', $('f-experiment').value);
    return p.toString();
  }

  function refresh(){
    return Promise.all([getJson('api/experiments'), getJson('api/runs?' + query())]).then(function(res){
      renderExperiments(res[0]); renderRuns(res[1]);
      document.body.setAttribute('data-loaded', String(Number(document.body.getAttribute('data-loaded') || 0) + 1));
    }).catch(function(e){ $('error').textContent = e.message; });
  }

  $('compare').addEventListener('click', function(){
    if (selected.length < 2) return;
    var base = $('baseline').value || selected[0];
    var ids = [base].concat(selected.filter(function(s){ return s !== base; }));
    window.open('report?ids=' + ids.map(encodeURIComponent).join(',') + '&baseline=' + encodeURIComponent(base), '_blank', 'noopener');
  });
  var timer = null;
  ['f-q', 'f-status', 'f-experiment'].forEach(function(id){
    $(id).addEventListener(id === 'f-q' ? 'input' : 'change', function(){ clearTimeout(timer); timer = setTimeout(refresh, 150); });
  });
  // Runs being written by a live benchmark show up without a manual reload.
  setInterval(function(){ if ($('live').checked) refresh(); }, 5000);
  toggle('', false);
  getJson('api/info').then(function(i){ $('dbpath').textContent = i.db + ' · tokenbench ' + i.version; }).catch(function(){});
  refresh();
})();
`;

const BODY = `
<header><h1>tokenbench results</h1><span class="sub" id="dbpath"></span></header>
<main>
<p id="error" role="alert" class="status-failed"></p>
<h2>Experiments</h2>
<div class="tablewrap"><table id="experiments"><thead><tr><th></th><th>name</th><th>id</th><th>status</th><th>runs</th><th>created</th><th></th></tr></thead><tbody id="experiments-body"></tbody></table>
<div class="empty" id="experiments-empty" hidden>No experiments match.</div></div>
<h2>Runs <span class="muted" id="runs-count"></span></h2>
<div class="bar">
  <input type="search" id="f-q" placeholder="filter by id, name, label, model, target" aria-label="filter runs and experiments">
  <select id="f-status" aria-label="status"><option value="">any status</option><option>completed</option><option>running</option><option>interrupted</option><option>failed</option></select>
  <select id="f-experiment" aria-label="experiment"><option value="">all experiments</option></select>
  <label><input type="checkbox" id="live" checked> refresh every 5 s</label>
  <span style="flex:1"></span>
  <span class="muted" id="selection"></span>
  <label for="baseline">baseline</label><select id="baseline" aria-label="baseline"></select>
  <button id="compare" disabled>Compare selected</button>
</div>
<div class="tablewrap"><table id="runs"><thead><tr><th></th><th>id</th><th>created</th><th>status</th><th>label</th><th>model</th><th>target</th><th>load</th><th>ok/failed</th>${COLUMNS.map((c) => `<th>${escapeText(c.title)}</th>`).join("")}<th></th></tr></thead>
<tbody id="runs-body"></tbody></table><div class="empty" id="runs-empty" hidden>No runs match.</div></div>
</main>`;

const hash = (s: string) => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;

/** The page's Content-Security-Policy: its own script only, fetches to this origin only. */
export const UI_CSP = `default-src 'none'; script-src ${hash(SCRIPT)}; style-src 'unsafe-inline'; connect-src 'self'; img-src data:`;

export function uiPage(): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>tokenbench results</title><style>${CSS}</style></head>
<body>${BODY}
<script>${SCRIPT}</script>
</body></html>
`;
}
