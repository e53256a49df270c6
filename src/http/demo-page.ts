// The demo page served at `/`: pick or drop a photo to see its faces boxed, or compare two
// photos. Plain HTML + JS that calls the public face routes, so it works on every runtime.

export const DEMO_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgeserve — face demo</title>
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
    <label class="drop">First photo <input type="file" id="file1" accept="image/*" hidden><img id="img1" alt=""></label>
    <label class="drop">Second photo <input type="file" id="file2" accept="image/*" hidden><img id="img2" alt=""></label>
  </div>
  <div class="result" id="compare-result">Pick two photos.</div>
</section>

<script>
const $ = (id) => document.getElementById(id);

async function detect(file) {
  const out = $('detect-result');
  out.textContent = 'Detecting…';
  out.className = 'result';
  const body = new FormData();
  body.append('image', file);
  const res = await fetch('/v1/faces/detect', { method: 'POST', body });
  const json = await res.json();
  if (!res.ok) { out.textContent = json.error; out.className = 'result bad'; return; }
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const c = $('canvas');
  c.width = json.image.width; c.height = json.image.height;
  const g = c.getContext('2d');
  g.drawImage(bitmap, 0, 0, c.width, c.height);
  g.lineWidth = Math.max(2, c.width / 200);
  g.font = Math.max(12, c.width / 40) + 'px system-ui';
  for (const f of json.faces) {
    const [x1, y1, x2, y2] = f.box;
    g.strokeStyle = '#2f6fe4';
    g.strokeRect(x1, y1, x2 - x1, y2 - y1);
    g.fillStyle = '#2f6fe4';
    g.fillText((f.score * 100).toFixed(0) + '%', x1, Math.max(12, y1 - 4));
  }
  out.textContent = json.faces.length === 1 ? '1 face' : json.faces.length + ' faces';
  c.dataset.faces = String(json.faces.length);
}

$('file').addEventListener('change', (e) => e.target.files[0] && detect(e.target.files[0]));
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault(); drop.classList.remove('over');
  if (e.dataTransfer.files[0]) detect(e.dataTransfer.files[0]);
});

async function compare() {
  const a = $('file1').files[0], b = $('file2').files[0];
  if (!a || !b) return;
  const out = $('compare-result');
  out.textContent = 'Comparing…';
  out.className = 'result';
  const body = new FormData();
  body.append('image1', a); body.append('image2', b);
  const res = await fetch('/v1/faces/verify', { method: 'POST', body });
  const json = await res.json();
  if (!res.ok) { out.textContent = json.error; out.className = 'result bad'; return; }
  out.textContent = (json.match ? 'Same person' : 'Different people') + ' — similarity ' + json.similarity.toFixed(3) + ' (threshold ' + json.threshold + ')';
  out.className = 'result ' + (json.match ? 'ok' : 'bad');
}
for (const k of ['1', '2']) {
  $('file' + k).addEventListener('change', (e) => {
    const f = e.target.files[0];
    if (f) $('img' + k).src = URL.createObjectURL(f);
    compare();
  });
}
</script>
</body>
</html>
`;
