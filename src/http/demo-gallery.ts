// The demo page's Gallery tab (demo-page.ts assembles the page): pick a gallery (`demo` by
// default; the first enrolment creates it if missing, and says so), enrol a photo's face under a
// subject id (the subject is created if new; if the enrolment then fails, the subject made for it
// is deleted again, so a failed enrolment leaves nothing behind), identify every face of a photo
// (the best subject with its similarity and the server's threshold, or "unknown"; boxes drawn),
// and list subjects with a delete button. The script runs inside the page's <script> and uses its
// helpers (call, post, drawPhoto, drawBox, picker, …). Gallery writes need `faces:write`: with no
// keys configured the server answers them for loopback clients only, and the page shows its 403.

export const GALLERY_SECTION = `
<section id="gallery" role="tabpanel" hidden>
  <h2>Face gallery</h2>
  <label class="field">Gallery <input id="gallery-id" value="demo" spellcheck="false"> <button class="act" id="gallery-open">Open</button></label>
  <div class="result" id="gallery-status"></div>
  <div class="pair">
    <div>
      <h3>Enrol a face</h3>
      <label class="field">Subject id <input id="enrol-subject" placeholder="e.g. user-1234" spellcheck="false"></label>
      <label class="field">Display name <input id="enrol-name" placeholder="optional"></label>
      <label class="drop" id="enrol-drop"><span id="enrol-photo">Drop a photo or <u>pick one</u></span> <input type="file" id="enrol-file" accept="image/*" hidden></label>
      <button class="act" id="enrol-go">Enrol</button>
      <div class="result" id="enrol-result"></div>
      <canvas id="enrol-canvas" width="0" height="0"></canvas>
    </div>
    <div>
      <h3>Identify</h3>
      <label class="drop" id="identify-drop">Drop a photo or <u>pick one</u> <input type="file" id="identify-file" accept="image/*" hidden></label>
      <button class="act" id="identify-go" disabled>Identify again</button>
      <div class="result" id="identify-result"></div>
      <canvas id="identify-canvas" width="0" height="0"></canvas>
    </div>
  </div>
  <h3>Subjects</h3>
  <ul id="subjects"></ul>
</section>
`;

export const GALLERY_SCRIPT = `
const GALLERIES = '/v1/faces/galleries';
const galleryId = () => $('gallery-id').value.trim();
const galleryUrl = (id, rest) => GALLERIES + '/' + encodeURIComponent(id) + (rest || '');
const subjectUrl = (id, subject, rest) => galleryUrl(id, '/subjects/' + encodeURIComponent(subject) + (rest || ''));
const counted = (n, what) => n + ' ' + what + (n === 1 ? '' : 's');
const NO_GALLERY = 'gallery: enter a gallery id (letters, digits and . _ @ : + -)';

/** Shows the gallery's counts and its subjects; note (what was just done) goes first. */
async function loadGallery(note) {
  const id = galleryId(), out = $('gallery-status'), list = $('subjects');
  const run = started('gallery');
  const say = (text, cls) => { out.textContent = (note ? note + ' ' : '') + text; out.className = 'result' + (cls ? ' ' + cls : ''); };
  delete list.dataset.subjects;
  if (!id) { list.replaceChildren(); return say(NO_GALLERY, 'bad'); }
  busy(out, (note ? note + ' ' : '') + 'Loading…');
  const g = await call('GET', galleryUrl(id));
  if (!current('gallery', run)) return;
  if (g.error) {
    list.replaceChildren();
    list.dataset.subjects = '[]';
    if (g.status === 404 && g.error.includes("gallery '" + id + "' not found")) return say("No gallery '" + id + "' yet: the first enrolment creates it.");
    return say(g.error, 'bad');
  }
  const s = await call('GET', galleryUrl(id, '/subjects?limit=100'));
  if (!current('gallery', run)) return;
  if (s.error) { list.replaceChildren(); return say(s.error, 'bad'); }
  const m = g.json.model;
  say("Gallery '" + id + "': " + counted(g.json.subjects, 'subject') + ', ' + counted(g.json.faces, 'face') + (m ? ' (embedder ' + m.name + ' ' + m.version + ')' : ''));
  list.replaceChildren(...s.json.subjects.map(subjectItem));
  if (s.json.next_cursor) {
    const more = document.createElement('li');
    more.textContent = '… and more (the first 100 are listed)';
    list.append(more);
  }
  list.dataset.subjects = JSON.stringify(s.json.subjects.map((x) => x.id));
}

function subjectItem(s) {
  const li = document.createElement('li');
  li.dataset.subject = s.id;
  const name = document.createElement('b');
  name.textContent = s.id;
  const del = document.createElement('button');
  del.textContent = 'Delete';
  del.title = 'Delete ' + s.id + ' and every face enrolled for it';
  del.addEventListener('click', () => deleteSubject(s.id, del));
  li.append(name, (s.display_name ? ' — ' + s.display_name : '') + ' · ' + counted(s.faces, 'face'), del);
  return li;
}

async function deleteSubject(subject, button) {
  const id = galleryId();
  button.disabled = true;
  const r = await call('DELETE', subjectUrl(id, subject));
  button.disabled = false;
  if (r.error) return fail($('gallery-status'), r.error);
  loadGallery("Deleted subject '" + subject + "' and its faces.");
}

let enrolFile;
picker('enrol-file', 'enrol-drop', async (f) => {
  enrolFile = f;
  $('enrol-photo').textContent = 'Photo: ' + (f.name || 'dropped image') + ' (drop or pick another)';
  const c = $('enrol-canvas');
  delete c.dataset.box;
  try { await drawPhoto(c, f); } catch (e) { fail($('enrol-result'), e.message); }
});

async function enrol() {
  const out = $('enrol-result'), c = $('enrol-canvas');
  const id = galleryId(), subject = $('enrol-subject').value.trim(), name = $('enrol-name').value.trim(), file = enrolFile;
  delete c.dataset.box;
  if (!id) return fail(out, NO_GALLERY);
  if (!subject) return fail(out, 'subject id: enter who this is (e.g. user-1234)');
  if (!file) return fail(out, 'photo: pick or drop a photo of the face to enrol');
  $('enrol-go').disabled = true;
  busy(out, 'Enrolling…');
  const notes = [];
  try {
    const g = await post(GALLERIES, { id });
    if (g.status === 201) notes.push("Created gallery '" + id + "' (it did not exist).");
    else if (g.status !== 409) return fail(out, g.error);
    const s = await post(galleryUrl(id, '/subjects'), name ? { id: subject, display_name: name } : { id: subject });
    const created = s.status === 201;
    if (s.status === 409) {
      const known = await call('GET', subjectUrl(id, subject));
      if (known.json && name && known.json.display_name !== name) notes.push("'" + subject + "' already existed: its display name stays " + (known.json.display_name ? "'" + known.json.display_name + "'" : 'unset') + '.');
    } else if (!created) return fail(out, s.error);
    const form = new FormData();
    form.append('image', file);
    const f = await post(subjectUrl(id, subject, '/faces'), form);
    if (f.error) {
      if (created) await call('DELETE', subjectUrl(id, subject));
      return fail(out, f.error);
    }
    const face = f.json;
    let drawn = '';
    try {
      drawBox(await drawPhoto(c, file), face.box, GREEN, subject);
      c.dataset.box = JSON.stringify(face.box);
    } catch (e) { drawn = ' (' + e.message + ')'; }
    notes.push("Enrolled a face under '" + subject + "'" + (name && created ? ' (' + name + ')' : '') + ': detector score ' + face.score.toFixed(2) + (face.candidates > 1 ? ', the boxed one of ' + face.candidates + ' faces found' : '') + '.' + drawn);
    out.textContent = notes.join(' ');
    out.className = 'result ok';
  } finally {
    $('enrol-go').disabled = false;
    loadGallery();
  }
}
$('enrol-go').addEventListener('click', enrol);

let identifyFile;
async function identify() {
  const out = $('identify-result'), c = $('identify-canvas'), id = galleryId(), file = identifyFile;
  if (!file) return;
  const run = started('identify');
  delete out.dataset.subjects;
  if (!id) return fail(out, NO_GALLERY);
  busy(out, 'Identifying…');
  const form = new FormData();
  form.append('image', file);
  const r = await post(galleryUrl(id, '/identify?faces=all'), form);
  if (!current('identify', run)) return;
  if (r.error) return fail(out, r.error);
  let g;
  try { g = await drawPhoto(c, file); } catch (e) { return fail(out, e.message); }
  const t = r.json.threshold, many = r.json.faces.length > 1;
  const lines = r.json.faces.map((f, i) => {
    const s = f.subject;
    drawBox(g, f.box, s ? GREEN : RED, (many ? i + 1 + ': ' : '') + (s ? s.id + ' ' + s.similarity.toFixed(2) : 'unknown'));
    const line = document.createElement('div');
    line.className = s ? 'ok' : 'bad';
    line.textContent = (many ? 'Face ' + (i + 1) + (f.chosen ? ' (the chosen face)' : '') + ': ' : '')
      + (s ? s.id + (s.display_name ? ' (' + s.display_name + ')' : '') + ' — similarity ' + s.similarity.toFixed(3) + ', threshold ' + t
        : 'unknown — no subject reaches the threshold ' + t);
    return line;
  });
  out.replaceChildren(...lines);
  out.className = 'result';
  out.dataset.subjects = JSON.stringify(r.json.faces.map((f) => (f.subject ? f.subject.id : null)));
}
picker('identify-file', 'identify-drop', (f) => { identifyFile = f; $('identify-go').disabled = false; identify(); });
$('identify-go').addEventListener('click', identify);
$('gallery-open').addEventListener('click', (e) => { e.preventDefault(); loadGallery(); });
$('gallery-id').addEventListener('change', () => loadGallery());
`;
