// The demo page served at `/`, three tabs: Detect (pick or drop a photo to see its faces boxed),
// Compare (two photos, each box takes a pick or a drop; the two faces compared are boxed on the
// photos, the other detections dashed amber, and a click on one compares that face instead) and
// Gallery (demo-gallery.ts: enrol a face under a subject, identify a photo, delete subjects).
// Plain HTML + JS that calls the public routes, so it works on every runtime. An API key pasted
// at the top goes with every request as `X-API-Key` (servers with keys need one; one without
// keys lets only loopback clients write to the gallery). Any answer that is not a success is
// shown as it came: the server's `{"error"}`, or the status and text of a response that is not
// JSON (a proxy's 502, a runtime's empty 413), or the network error; the page never waits on a
// failed request.

import { GALLERY_SCRIPT, GALLERY_SECTION } from './demo-gallery.ts';

/** The favicon (served at /favicon.svg and /favicon.ico): a face in a detection box. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1d2330"/><rect x="6" y="5" width="20" height="22" rx="2" fill="none" stroke="#2f6fe4" stroke-width="3"/><circle cx="12.5" cy="14" r="1.8" fill="#fff"/><circle cx="19.5" cy="14" r="1.8" fill="#fff"/><path d="M11 20q5 4 10 0" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round"/></svg>`;

export const DEMO_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgeserve — face demo</title>
<link rel="icon" type="image/svg+xml" href="/favicon.svg">
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f5f6f8; }
  body { max-width: 980px; margin: 0 auto; padding: 24px; }
  header { display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; }
  header nav a { margin-left: 16px; }
  .tabs { display: flex; gap: 8px; align-items: center; margin-top: 8px; flex-wrap: wrap; }
  .tabs button { font: inherit; padding: 6px 14px; border: 1px solid #9aa3b5; border-radius: 6px; background: #fff; cursor: pointer; }
  .tabs button[aria-selected=true] { background: #2f6fe4; border-color: #2f6fe4; color: #fff; }
  .tabs label { margin-left: auto; font-size: .9em; }
  section { background: #fff; border-radius: 10px; padding: 18px 20px; margin: 18px 0; box-shadow: 0 1px 3px #0002; }
  .drop { display: block; border: 2px dashed #9aa3b5; border-radius: 8px; padding: 18px; text-align: center; cursor: pointer; }
  .drop.over { border-color: #2f6fe4; background: #eef3fd; }
  canvas { max-width: 100%; margin-top: 12px; border-radius: 6px; }
  .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
  .pair canvas { display: block; margin: 8px auto 0; max-height: 320px; }
  .result { font-size: 1.1em; margin-top: 12px; min-height: 1.4em; }
  .ok { color: #137a2f; } .bad { color: #b3261e; }
  .field { display: block; margin: 8px 0; } .field input { font: inherit; padding: 4px 6px; width: 16em; max-width: 100%; }
  button.act { font: inherit; padding: 5px 14px; margin-top: 8px; cursor: pointer; }
  #subjects li { margin: 4px 0; } #subjects button { margin-left: 10px; }
  code { background: #eef0f4; padding: 1px 5px; border-radius: 4px; }
</style>
</head>
<body>
<header>
  <h1>edgeserve</h1>
  <nav><a href="/docs">API docs</a><a href="/openapi.json">OpenAPI</a><a href="/metrics">Metrics</a><a href="/v2">Server metadata</a></nav>
</header>
<div class="tabs" role="tablist">
  <button role="tab" id="tab-detect" data-tab="detect" aria-selected="true">Detect</button>
  <button role="tab" id="tab-compare" data-tab="compare" aria-selected="false">Compare</button>
  <button role="tab" id="tab-gallery" data-tab="gallery" aria-selected="false">Gallery</button>
  <label>API key <input id="api-key" type="password" autocomplete="off" placeholder="only if the server has keys" size="24"></label>
</div>

<section id="detect" role="tabpanel">
  <h2>Detect faces</h2>
  <label class="drop" id="drop">Drop a photo here or <u>pick one</u>
    <input type="file" id="file" accept="image/*" hidden>
  </label>
  <div class="result" id="detect-result"></div>
  <canvas id="canvas" width="0" height="0"></canvas>
</section>

<section id="compare" role="tabpanel" hidden>
  <h2>Compare two photos</h2>
  <div class="pair">
    <label class="drop" id="drop1">Drop the first photo or <u>pick one</u> <input type="file" id="file1" accept="image/*" hidden><canvas id="canvas1" width="0" height="0"></canvas></label>
    <label class="drop" id="drop2">Drop the second photo or <u>pick one</u> <input type="file" id="file2" accept="image/*" hidden><canvas id="canvas2" width="0" height="0"></canvas></label>
  </div>
  <div class="result" id="compare-result">Pick two photos.</div>
</section>
${GALLERY_SECTION}
<script>
const $ = (id) => document.getElementById(id);
const BLUE = '#2f6fe4', GREEN = '#137a2f', RED = '#b3261e', AMBER = '#f2b90c';

// The API key lives in this tab's session only (never in the URL, never in localStorage).
const KEY_ITEM = 'edgeserve-api-key';
try { $('api-key').value = sessionStorage.getItem(KEY_ITEM) || ''; } catch {}
$('api-key').addEventListener('change', () => { try { sessionStorage.setItem(KEY_ITEM, $('api-key').value.trim()); } catch {} });

/**
 * One request to the server; resolves (never rejects) to { status, json } on success (json is
 * null for an empty 204) or { status, error } (a message) on any failure. body: FormData, a
 * JSON-able object, or undefined.
 */
async function call(method, url, body) {
  const headers = {};
  const key = $('api-key').value.trim();
  if (key) headers['X-API-Key'] = key;
  if (body !== undefined && !(body instanceof FormData)) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(body); }
  let res;
  try {
    res = await fetch(url, { method, body, headers });
  } catch (e) {
    return { status: 0, error: 'request failed: ' + (e && e.message ? e.message : e) };
  }
  const text = await res.text().catch(() => '');
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  if (res.ok && (json !== undefined || (res.status === 204 && text === ''))) return { status: res.status, json: json === undefined ? null : json };
  const hint = res.status === 401 || res.status === 403 ? ' — paste an API key with the scope it needs in the API key field at the top' : '';
  if (json && typeof json.error === 'string') return { status: res.status, error: json.error + hint };
  const status = 'HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '');
  return { status: res.status, error: (text.trim() ? status + ': ' + text.trim().slice(0, 300) : status + (res.status === 413 ? ' (the photo is too large for this server)' : '')) + hint };
}
const post = (url, body) => call('POST', url, body);

function fail(out, msg) { out.textContent = msg; out.className = 'result bad'; }
function busy(out, msg) { out.textContent = msg; out.className = 'result'; }

/** A box label on a solid background, so it reads on hair, sky or skin alike. */
function label(g, text, x, y, size, color) {
  g.font = 'bold ' + size + 'px system-ui, sans-serif';
  g.textBaseline = 'top';
  const pad = Math.round(size / 4), w = g.measureText(text).width + 2 * pad, h = size + 2 * pad;
  const top = y - h >= 0 ? y - h : y; // above the box, or inside it at the top edge of the image
  const left = Math.max(0, Math.min(x, g.canvas.width - w)); // a face at the right edge keeps its label in view
  g.fillStyle = color || BLUE;
  g.fillRect(left, top, w, h);
  g.fillStyle = '#ffffff';
  g.fillText(text, left + pad, top + pad);
  return { x: left, y: top, w, h };
}

/** Strokes a face box (dashed for faces that were found but not used) and its label, if any. */
function drawBox(g, box, color, text, dashed) {
  const [x1, y1, x2, y2] = box;
  g.lineWidth = Math.max(2, g.canvas.width / 200);
  g.setLineDash(dashed ? [3 * g.lineWidth, 2 * g.lineWidth] : []);
  g.strokeStyle = color;
  g.strokeRect(x1, y1, x2 - x1, y2 - y1);
  g.setLineDash([]);
  if (text === undefined) return undefined;
  return label(g, text, Math.max(0, x1 - g.lineWidth / 2), Math.max(0, y1 - g.lineWidth / 2), Math.max(14, Math.round(g.canvas.width / 32)), color);
}

/** Draws the photo at its size after EXIF orientation (the boxes' pixels); the context, or throws. */
async function drawPhoto(c, file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch (e) {
    throw new Error('this browser cannot display the photo: ' + (e && e.message ? e.message : e));
  }
  c.width = bitmap.width; c.height = bitmap.height;
  const g = c.getContext('2d');
  g.drawImage(bitmap, 0, 0);
  return g;
}

const sameBox = (a, b) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-6);

/** The latest run of each kind wins: an answer to an older request is dropped, not shown. */
const runs = {};
const started = (kind) => (runs[kind] = (runs[kind] || 0) + 1);
const current = (kind, n) => runs[kind] === n;

async function detect(file) {
  const out = $('detect-result');
  const c = $('canvas');
  const run = started('detect');
  delete c.dataset.faces;
  busy(out, 'Detecting…');
  const body = new FormData();
  body.append('image', file);
  const { json, error } = await post('/v1/faces/detect', body);
  if (!current('detect', run)) return;
  if (error) return fail(out, error);
  let g;
  try { g = await drawPhoto(c, file); } catch (e) { return fail(out, e.message); }
  const labels = json.faces.map((f) => drawBox(g, f.box, BLUE, (f.score * 100).toFixed(0) + '%'));
  out.textContent = json.faces.length === 1 ? '1 face' : json.faces.length + ' faces';
  c.dataset.labels = JSON.stringify(labels);
  c.dataset.faces = String(json.faces.length);
}

/** A drop target: highlights while a file is over it and hands the dropped file on. */
function dropTarget(el, onFile) {
  el.addEventListener('dragover', (e) => { e.preventDefault(); el.classList.add('over'); });
  el.addEventListener('dragleave', () => el.classList.remove('over'));
  el.addEventListener('drop', (e) => {
    e.preventDefault(); el.classList.remove('over');
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) onFile(f);
  });
}
/** A file input and its drop target both hand the file on. */
function picker(input, drop, onFile) {
  $(input).addEventListener('change', (e) => e.target.files[0] && onFile(e.target.files[0]));
  dropTarget($(drop), onFile);
}

// A file dropped beside a target must not make the browser leave the page to show it.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());
picker('file', 'drop', detect);

const chosen = {};
const picked = {}; // photo k → the face box the user clicked, compared instead of the chosen face
const shown = {}; // photo k → the faces drawn on it (what a click can pick)
/** Boxes on photo k (1, 2): the face compared solid blue, the other detections dashed amber. */
async function showCompared(k, box, candidates) {
  const c = $('canvas' + k);
  const g = await drawPhoto(c, chosen[k]);
  for (const f of candidates) if (!sameBox(f.box, box)) drawBox(g, f.box, AMBER, undefined, true);
  drawBox(g, box, BLUE, picked[k] ? 'your pick' : 'compared');
  shown[k] = candidates;
  c.dataset.box = JSON.stringify(box);
  c.dataset.candidates = String(candidates.length);
}
async function compare() {
  const a = chosen[1], b = chosen[2];
  if (!a || !b) return;
  const out = $('compare-result');
  const run = started('compare');
  busy(out, 'Comparing…');
  const body = new FormData();
  body.append('image1', a); body.append('image2', b);
  const query = new URLSearchParams();
  for (const k of ['1', '2']) if (picked[k]) query.set('box' + k, picked[k].join(','));
  const qs = query.toString();
  const { json, error } = await post('/v1/faces/verify' + (qs ? '?' + qs : ''), body);
  if (!current('compare', run)) return;
  if (error) return fail(out, error);
  try {
    await showCompared(1, json.faces[0], json.candidates[0]);
    await showCompared(2, json.faces[1], json.candidates[1]);
  } catch (e) { return fail(out, e.message); }
  const found = (n) => n === 1 ? '1 face' : n + ' faces';
  const more = json.candidates[0].length > 1 || json.candidates[1].length > 1;
  out.textContent = (json.match ? 'Same person' : 'Different people') + ' — similarity ' + json.similarity.toFixed(3) + ' (threshold ' + json.threshold + '); the faces compared are boxed in blue (of ' + found(json.candidates[0].length) + ' and ' + found(json.candidates[1].length) + ' found)' + (more ? '; click a dashed box to compare that face instead' : '');
  out.className = 'result ' + (json.match ? 'ok' : 'bad');
}
for (const k of ['1', '2']) {
  picker('file' + k, 'drop' + k, async (f) => {
    chosen[k] = f;
    delete picked[k]; delete shown[k];
    const c = $('canvas' + k);
    delete c.dataset.box;
    // The photo shows at once; its box comes with the answer.
    try { await drawPhoto(c, f); } catch (e) { started('compare'); return fail($('compare-result'), e.message); }
    compare();
  });
  // A click on a face picks it (the smallest box under the pointer); beside the faces, the click
  // opens the file picker as before.
  $('canvas' + k).addEventListener('click', (e) => {
    const c = e.currentTarget, r = c.getBoundingClientRect();
    if (!shown[k] || !r.width) return;
    const x = (e.clientX - r.left) * c.width / r.width, y = (e.clientY - r.top) * c.height / r.height;
    const area = (b) => (b[2] - b[0]) * (b[3] - b[1]);
    const hit = shown[k].filter((f) => x >= f.box[0] && x <= f.box[2] && y >= f.box[1] && y <= f.box[3]).sort((p, q) => area(p.box) - area(q.box))[0];
    if (!hit) return;
    e.preventDefault();
    picked[k] = hit.box;
    compare();
  });
}

/** Tabs: the hash names the open one (#detect, #compare, #gallery), so a link opens it. */
const opened = {};
function openTab(name) {
  if (!$(name) || !$('tab-' + name)) name = 'detect';
  for (const b of document.querySelectorAll('[data-tab]')) {
    const on = b.dataset.tab === name;
    b.setAttribute('aria-selected', String(on));
    $(b.dataset.tab).hidden = !on;
  }
  if (!opened[name]) { opened[name] = true; if (name === 'gallery') loadGallery(); }
}
for (const b of document.querySelectorAll('[data-tab]')) b.addEventListener('click', () => { history.replaceState(null, '', '#' + b.dataset.tab); openTab(b.dataset.tab); });
window.addEventListener('hashchange', () => openTab(location.hash.slice(1)));
${GALLERY_SCRIPT}
openTab(location.hash.slice(1));
</script>
</body>
</html>
`;
