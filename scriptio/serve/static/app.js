// scriptio's web page: read pages through the HTTP API, show each page's lines over its image and
// their text beside it, let a person correct the text, and download the corrected page.
//
// It calls only the public API: GET /v1/models (choices), POST /v1/read (one page at a time, two at
// once like the server's read slots) and POST /v1/export (the corrected page in the chosen format,
// written by the server's own writers). No framework, nothing loaded from elsewhere.
'use strict';

(function () {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const CONCURRENT_READS = 2;
  const FORMAT_NAMES = { txt: 'TXT', page: 'PAGE XML', alto: 'ALTO', hocr: 'hOCR', json: 'JSON' };

  const $ = (id) => document.getElementById(id);
  const elements = {
    form: $('upload-form'), files: $('files'), dropZone: $('drop-zone'), level: $('level'), model: $('model'),
    lm: $('lm'), threshold: $('threshold'), thresholdValue: $('threshold-value'), progressBox: $('progress-box'),
    progress: $('progress'), status: $('status'), pageList: $('page-list'), results: $('results'),
    template: $('page-template'),
  };

  const uploads = [];   // every chosen file: {id, file, url, status, error, item}
  const queue = [];     // uploads waiting for a read slot
  const views = [];     // every page shown: {page, lines, svg, list, ...}
  let running = 0;

  // ---- API ---------------------------------------------------------------------------------

  /** The server's message for a refused request ({"error": "..."}), else the HTTP status. */
  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (body && typeof body.error === 'string') return body.error;
    } catch (ignored) { /* not JSON */ }
    return `the server answered ${response.status} ${response.statusText}`;
  }

  async function readPage(file, options) {
    const form = new FormData();
    form.append('file', file, file.name);
    form.append('level', options.level);
    form.append('format', 'json');
    if (options.model) form.append('model', options.model);
    if (options.lm) form.append('lm', options.lm);
    const response = await fetch('/v1/read', { method: 'POST', body: form });
    if (!response.ok) throw new Error(await errorMessage(response));
    return (await response.json()).pages;
  }

  async function exportPage(page, format) {
    const response = await fetch(`/v1/export?format=${encodeURIComponent(format)}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(page),
    });
    if (!response.ok) throw new Error(await errorMessage(response));
    return { blob: await response.blob(), filename: attachmentName(response.headers.get('Content-Disposition')) };
  }

  /** The file name of a Content-Disposition header (the UTF-8 form first). */
  function attachmentName(header) {
    if (!header) return null;
    const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (utf8) {
      try { return decodeURIComponent(utf8[1]); } catch (ignored) { /* malformed: use the plain name */ }
    }
    const plain = /filename="([^"]*)"/i.exec(header);
    return plain ? plain[1] : null;
  }

  async function loadChoices() {
    try {
      const response = await fetch('/v1/models');
      if (!response.ok) return;
      const models = await response.json();
      for (const recognizer of models.recognizers || []) {
        const label = recognizer.default ? `${recognizer.name} (default)` : recognizer.name;
        elements.model.append(new Option(label, recognizer.default ? '' : recognizer.name));
      }
      // The "server default" entry is redundant once the default model is listed by name.
      if ((models.recognizers || []).some((r) => r.default)) elements.model.options[0].remove();
      for (const lm of models.language_models || []) {
        elements.lm.append(new Option(lm.language ? `${lm.name} (${lm.language})` : lm.name, lm.name));
      }
    } catch (ignored) { /* the defaults still work */ }
  }

  // ---- Uploads and progress ------------------------------------------------------------------

  function addFiles(fileList) {
    const files = Array.from(fileList || []);
    if (!files.length) return;
    const options = { level: elements.level.value, model: elements.model.value, lm: elements.lm.value };
    for (const file of files) {
      const upload = { id: uploads.length + 1, file, options, url: URL.createObjectURL(file), status: 'waiting' };
      upload.item = document.createElement('li');
      elements.pageList.append(upload.item);
      uploads.push(upload);
      queue.push(upload);
      showUpload(upload);
    }
    updateProgress();
    pump();
  }

  function pump() {
    while (running < CONCURRENT_READS && queue.length) {
      const upload = queue.shift();
      running += 1;
      readUpload(upload).finally(() => { running -= 1; updateProgress(); pump(); });
    }
  }

  async function readUpload(upload) {
    upload.status = 'reading';
    showUpload(upload);
    updateProgress();
    try {
      const pages = await readPage(upload.file, upload.options);
      pages.forEach((page, index) => renderPage(upload, page, index, pages.length));
      upload.status = 'done';
    } catch (error) {
      upload.status = 'failed';
      upload.error = error.message || String(error);
    }
    showUpload(upload);
  }

  function showUpload(upload) {
    const words = { waiting: 'waiting', reading: 'reading…', done: 'read', failed: 'failed' };
    upload.item.className = `upload ${upload.status}`;
    upload.item.replaceChildren();
    const name = document.createElement(upload.status === 'done' ? 'a' : 'span');
    name.textContent = upload.file.name;
    if (upload.status === 'done') name.href = `#page-${upload.id}-1`;
    const state = document.createElement('span');
    state.className = 'state';
    state.textContent = `: ${words[upload.status]}`;
    upload.item.append(name, state);
    if (upload.error) {
      const message = document.createElement('span');
      message.className = 'error';
      message.textContent = ` (${upload.error})`;
      upload.item.append(message);
    }
  }

  function updateProgress() {
    const total = uploads.length;
    const finished = uploads.filter((u) => u.status === 'done' || u.status === 'failed').length;
    const failed = uploads.filter((u) => u.status === 'failed').length;
    elements.progressBox.hidden = total === 0;
    elements.progress.max = Math.max(total, 1);
    elements.progress.value = finished;
    const failures = failed ? ` (${failed} failed)` : '';
    elements.status.textContent = finished < total
      ? `Reading: ${finished} of ${total} page${total === 1 ? '' : 's'} done${failures}…`
      : `Done: ${total} page${total === 1 ? '' : 's'} read${failures}.`;
  }

  // ---- One page: image, line shapes, line texts ----------------------------------------------

  function renderPage(upload, page, index, count) {
    const article = elements.template.content.firstElementChild.cloneNode(true);
    const view = { page, upload, article, lines: [], selected: -1 };
    views.push(view);
    const title = count > 1 ? `${upload.file.name}, page ${index + 1}` : upload.file.name;
    article.id = `page-${upload.id}-${index + 1}`;
    article.setAttribute('aria-label', title);
    article.querySelector('.page-title').textContent = title;

    const downloads = article.querySelector('.downloads');
    downloads.setAttribute('aria-label', `Download ${title} as`);
    for (const button of downloads.querySelectorAll('button')) {
      button.addEventListener('click', () => download(view, button.dataset.format, button));
    }

    const svg = article.querySelector('.page-svg');
    svg.setAttribute('viewBox', `0 0 ${page.width} ${page.height}`);
    svg.setAttribute('aria-label', `${title}: the page image with its lines outlined`);
    const paper = document.createElementNS(SVG_NS, 'rect');
    paper.setAttribute('class', 'paper');
    paper.setAttribute('width', page.width);
    paper.setAttribute('height', page.height);
    const image = document.createElementNS(SVG_NS, 'image');
    image.setAttribute('href', upload.url);
    image.setAttribute('width', page.width);
    image.setAttribute('height', page.height);
    image.setAttribute('preserveAspectRatio', 'none');
    svg.append(paper, image);
    checkImage(upload.url, article.querySelector('.image-note'));

    const list = article.querySelector('.lines');
    list.setAttribute('aria-label', `Lines of ${title}`);
    for (const region of page.regions || []) {
      for (const line of region.lines || []) {
        if (line.is_text === false) continue;  // kept in JSON, left out of every document
        view.lines.push(makeLine(view, line, view.lines.length, svg, list));
      }
    }
    if (!view.lines.length) {
      const empty = document.createElement('li');
      empty.className = 'no-lines';
      empty.textContent = 'No text lines found on this page.';
      list.append(empty);
    }
    elements.results.append(article);
  }

  /** Browsers cannot show every image the server reads (TIFF): say so, the lines still show. */
  function checkImage(url, note) {
    const probe = new Image();
    probe.onerror = () => {
      note.textContent = 'This browser cannot show this image format; the lines are drawn on a blank page.';
      note.hidden = false;
    };
    probe.src = url;
  }

  function makeLine(view, line, index, svg, list) {
    const entry = { line, index, original: line.text || '', edited: false };
    const number = index + 1;

    if (line.polygon && line.polygon.length >= 2) {
      const shape = document.createElementNS(SVG_NS, 'polygon');
      shape.setAttribute('points', line.polygon.map(([x, y]) => `${x},${y}`).join(' '));
      shape.setAttribute('class', 'line-shape');
      shape.setAttribute('tabindex', '0');
      shape.setAttribute('role', 'button');
      shape.dataset.line = String(index);
      shape.append(document.createElementNS(SVG_NS, 'title'));
      shape.addEventListener('click', () => startEdit(view, entry));
      shape.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          startEdit(view, entry);
        }
      });
      svg.append(shape);
      entry.shape = shape;
    }

    const item = document.createElement('li');
    item.className = 'line';
    item.dataset.line = String(index);
    const label = document.createElement('span');
    label.className = 'line-number';
    label.textContent = `${number}`;
    label.setAttribute('aria-hidden', 'true');
    const text = document.createElement('button');
    text.type = 'button';
    text.className = 'line-text';
    text.addEventListener('click', () => startEdit(view, entry));
    item.append(label, text);
    list.append(item);
    entry.item = item;
    entry.button = text;
    showLineText(entry);
    return entry;
  }

  /** The recognizer's characters matched to the line's text (whitespace collapsed as the server
   * does), or null when they do not spell it (then nothing is highlighted). */
  function alignedChars(line) {
    if (!Array.isArray(line.chars) || !line.chars.length) return null;
    const out = [];
    for (const span of line.chars) {
      const char = String(span.char || '').normalize('NFC');
      if (!char) continue;
      if (/^\s+$/.test(char)) {
        if (out.length && out[out.length - 1].char !== ' ') out.push({ char: ' ', confidence: null });
        continue;
      }
      out.push({ char, confidence: typeof span.confidence === 'number' ? span.confidence : null });
    }
    while (out.length && out[out.length - 1].char === ' ') out.pop();
    return out.map((c) => c.char).join('') === (line.text || '') ? out : null;
  }

  function showLineText(entry) {
    const { line, button } = entry;
    const threshold = Number(elements.threshold.value);
    const text = line.text || '';
    button.replaceChildren();
    const chars = entry.edited ? null : alignedChars(line);
    let uncertain = 0;
    if (chars) {
      let run = '';
      const flush = () => { if (run) { button.append(run); run = ''; } };
      for (const { char, confidence } of chars) {
        if (confidence !== null && confidence < threshold) {
          flush();
          const mark = document.createElement('mark');
          mark.className = 'low';
          mark.textContent = char;
          mark.title = `confidence ${Math.round(confidence * 100)}%`;
          button.append(mark);
          uncertain += 1;
        } else {
          run += char;
        }
      }
      flush();
    } else {
      button.append(text);
    }
    if (!text) {
      const empty = document.createElement('span');
      empty.className = 'empty';
      empty.textContent = '(empty)';
      button.append(empty);
    }
    const notes = [];
    if (uncertain) notes.push(`${uncertain} uncertain character${uncertain === 1 ? '' : 's'}`);
    if (entry.edited) notes.push('corrected');
    if (notes.length) {
      const note = document.createElement('span');
      note.className = entry.edited ? 'badge edited' : 'sr-only';
      note.textContent = ` (${notes.join(', ')})`;
      button.append(note);
    }
    entry.item.classList.toggle('edited', entry.edited);
    const name = `Line ${entry.index + 1}: ${text || '(empty)'}`;
    button.setAttribute('aria-label', `${name}${notes.length ? ` (${notes.join(', ')})` : ''}. Press to correct.`);
    if (entry.shape) {
      entry.shape.setAttribute('aria-label', `${name}. Press to correct.`);
      entry.shape.firstChild.textContent = name;
      entry.shape.classList.toggle('edited', entry.edited);
    }
  }

  function select(view, entry) {
    if (view.selected >= 0) {
      const previous = view.lines[view.selected];
      previous.item.classList.remove('selected');
      if (previous.shape) previous.shape.classList.remove('selected');
    }
    view.selected = entry.index;
    entry.item.classList.add('selected');
    if (entry.shape) entry.shape.classList.add('selected');
  }

  function startEdit(view, entry) {
    select(view, entry);
    if (entry.input) { entry.input.focus(); return; }
    const input = document.createElement('input');
    input.type = 'text';
    input.className = 'line-input';
    input.value = entry.line.text || '';
    input.setAttribute('aria-label', `Text of line ${entry.index + 1} (Enter keeps it, Escape drops the change)`);
    entry.input = input;
    entry.button.replaceWith(input);
    let finished = false;
    const finish = (keep) => {
      if (finished) return;
      finished = true;
      if (keep) commit(entry, input.value);
      entry.input = null;
      input.replaceWith(entry.button);
      showLineText(entry);
    };
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') { event.preventDefault(); finish(true); entry.button.focus(); }
      if (event.key === 'Escape') { event.preventDefault(); finish(false); entry.button.focus(); }
    });
    input.addEventListener('blur', () => finish(true));
    entry.item.scrollIntoView({ block: 'nearest' });
    input.focus();
    input.select();
  }

  /** A corrected line carries no recognizer confidences: the documents must not claim them. */
  function commit(entry, value) {
    const text = value.replace(/\s+/g, ' ').trim();
    if (text === (entry.line.text || '')) return;
    entry.line.text = text;
    entry.line.confidence = null;
    entry.line.words = [];
    entry.line.chars = [];
    entry.edited = true;
  }

  // ---- Downloads ---------------------------------------------------------------------------

  async function download(view, format, button) {
    button.disabled = true;
    elements.status.textContent = `Preparing ${FORMAT_NAMES[format] || format}…`;
    try {
      const { blob, filename } = await exportPage(view.page, format);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = filename || `page.${format}`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
      elements.status.textContent = `Downloaded ${link.download}.`;
    } catch (error) {
      elements.status.textContent = `Download failed: ${error.message || error}`;
    } finally {
      button.disabled = false;
    }
  }

  // ---- Wiring ------------------------------------------------------------------------------

  elements.form.addEventListener('submit', (event) => event.preventDefault());
  elements.files.addEventListener('change', () => {
    addFiles(elements.files.files);
    elements.files.value = '';  // choosing the same file again reads it again
  });
  elements.threshold.addEventListener('input', () => {
    elements.thresholdValue.textContent = `${Math.round(Number(elements.threshold.value) * 100)}%`;
    for (const view of views) for (const entry of view.lines) if (!entry.input) showLineText(entry);
  });
  for (const type of ['dragenter', 'dragover']) {
    elements.dropZone.addEventListener(type, (event) => {
      event.preventDefault();
      elements.dropZone.classList.add('dragging');
    });
  }
  elements.dropZone.addEventListener('dragleave', () => elements.dropZone.classList.remove('dragging'));
  elements.dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    elements.dropZone.classList.remove('dragging');
    addFiles(event.dataTransfer && event.dataTransfer.files);
  });
  // A file dropped beside the zone must not replace the page (and lose the corrections).
  for (const type of ['dragover', 'drop']) window.addEventListener(type, (event) => event.preventDefault());

  loadChoices();
}());
