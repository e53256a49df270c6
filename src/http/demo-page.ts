// The demo page served at `/`: pick or drop a photo to see its faces boxed, or compare two
// photos (each box takes a pick or a drop). Plain HTML + JS that calls the public face routes,
// so it works on every runtime. Any answer that is not a success is shown as it came: the
// server's `{"error"}`, or the status and text of a response that is not JSON (a proxy's 502,
// a runtime's empty 413), or the network error; the page never waits on a failed request.

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
  header { display: flex; justify-content: space-between; align-items: baseline; }
  header nav a { margin-left: 16px; }
  section { background: #fff; border-radius: 10px; padding: 18px 20px; margin: 18px 0; box-shadow: 0 1px 3px #0002; }
  .drop { display: block; border: 2px dashed #9aa3b5; border-radius: 8px; padding: 18px; text-align: center; cursor: pointer; }
  .drop.over { border-color: #2f6fe4; background: #eef3fd; }
  canvas { max-width: 100%; margin-top: 12px; border-radius: 6px; }
  .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
  .pair img { max-width: 100%; max-height: 260px; display: block; margin: 8px auto 0; }
  .result { font-size: 1.1em; margin-top: 12px; min-height: 1.4em; }
  .ok { color: #137a2f; } .bad { color: #b3261e; }
  code { background: #eef0f4; padding: 1px 5px; border-radius: 4px; }
</style>
</head>
<body>
<header>
  <h1>edgeserve</h1>
  <nav><a href="/docs">API docs</a><a href="/openapi.json">OpenAPI</a><a href="/metrics">Metrics</a><a href="/v2">Server metadata</a></nav>
</header>

<section id="detect">
  <h2>Detect faces</h2>
  <label class="drop" id="drop">Drop a photo here or <u>pick one</u>
    <input type="file" id="file" accept="image/*" hidden>
  </label>
  <div class="result" id="detect-result"></div>
  <canvas id="canvas" width="0" height="0"></canvas>
</section>

<section id="compare">
  <h2>Compare two photos</h2>
  <div class="pair">
    <label class="drop" id="drop1">Drop the first photo or <u>pick one</u> <input type="file" id="file1" accept="image/*" hidden><img id="img1" alt=""></label>
    <label class="drop" id="drop2">Drop the second photo or <u>pick one</u> <input type="file" id="file2" accept="image/*" hidden><img id="img2" alt=""></label>
  </div>
  <div class="result" id="compare-result">Pick two photos.</div>
</section>

<script>
const $ = (id) => document.getElementById(id);

/** POSTs a form; resolves to { json } on success or { error } (a message) on any failure. */
async function post(url, body) {
  let res;
  try {
    res = await fetch(url, { method: 'POST', body });
  } catch (e) {
    return { error: 'request failed: ' + (e && e.message ? e.message : e) };
  }
  const text = await res.text().catch(() => '');
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  if (res.ok && json !== undefined) return { json };
  if (json && typeof json.error === 'string') return { error: json.error };
  const status = 'HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '');
  return { error: text.trim() ? status + ': ' + text.trim().slice(0, 300) : status + (res.status === 413 ? ' (the photo is too large for this server)' : '') };
}

function fail(out, msg) { out.textContent = msg; out.className = 'result bad'; }

/** A box label on a solid background, so it reads on hair, sky or skin alike. */
function label(g, text, x, y, size) {
  g.font = 'bold ' + size + 'px system-ui, sans-serif';
  g.textBaseline = 'top';
  const pad = Math.round(size / 4), w = g.measureText(text).width + 2 * pad, h = size + 2 * pad;
  const top = y - h >= 0 ? y - h : y; // above the box, or inside it at the top edge of the image
  g.fillStyle = '#2f6fe4';
  g.fillRect(x, top, w, h);
  g.fillStyle = '#ffffff';
  g.fillText(text, x + pad, top + pad);
  return { x, y: top, w, h };
}

async function detect(file) {
  const out = $('detect-result');
  const c = $('canvas');
  delete c.dataset.faces;
  out.textContent = 'Detecting…';
  out.className = 'result';
  const body = new FormData();
  body.append('image', file);
  const { json, error } = await post('/v1/faces/detect', body);
  if (error) return fail(out, error);
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch (e) {
    return fail(out, 'this browser cannot display the photo: ' + e.message);
  }
  c.width = json.image.width; c.height = json.image.height;
  const g = c.getContext('2d');
  g.drawImage(bitmap, 0, 0, c.width, c.height);
  g.lineWidth = Math.max(2, c.width / 200);
  const size = Math.max(12, Math.round(c.width / 40));
  const labels = [];
  for (const f of json.faces) {
    const [x1, y1, x2, y2] = f.box;
    g.strokeStyle = '#2f6fe4';
    g.strokeRect(x1, y1, x2 - x1, y2 - y1);
    labels.push(label(g, (f.score * 100).toFixed(0) + '%', Math.max(0, x1 - g.lineWidth / 2), Math.max(0, y1 - g.lineWidth / 2), size));
  }
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

// A file dropped beside a target must not make the browser leave the page to show it.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());
$('file').addEventListener('change', (e) => e.target.files[0] && detect(e.target.files[0]));
dropTarget($('drop'), detect);

const chosen = {};
async function compare() {
  const a = chosen[1], b = chosen[2];
  if (!a || !b) return;
  const out = $('compare-result');
  out.textContent = 'Comparing…';
  out.className = 'result';
  const body = new FormData();
  body.append('image1', a); body.append('image2', b);
  const { json, error } = await post('/v1/faces/verify', body);
  if (error) return fail(out, error);
  out.textContent = (json.match ? 'Same person' : 'Different people') + ' — similarity ' + json.similarity.toFixed(3) + ' (threshold ' + json.threshold + ')';
  out.className = 'result ' + (json.match ? 'ok' : 'bad');
}
for (const k of ['1', '2']) {
  const choose = (f) => {
    chosen[k] = f;
    $('img' + k).src = URL.createObjectURL(f);
    compare();
  };
  $('file' + k).addEventListener('change', (e) => e.target.files[0] && choose(e.target.files[0]));
  dropTarget($('drop' + k), choose);
}
</script>
</body>
</html>
`;
