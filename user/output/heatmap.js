// The pybpf heat map's behaviour, embedded in the page by heatmap.c: the
// functions table and the source files from the page's JSON, files opened
// (and drawn) on demand, a click on a function to jump to its first line,
// and a search over every line and function.  No network, no libraries.
'use strict';
(function () {
  const data = JSON.parse(document.getElementById('heat-data').textContent);
  const all = data.samples || 1;
  const files = data.files;
  const drawn = new Map();	// file index -> its <tbody>

  function share(n) {
    if (!n) return '';
    const p = 100 * n / all;
    return p < 0.1 ? '<0.1%' : p.toFixed(1) + '%';
  }
  // One scale for the whole page: the same share is the same colour in every file.
  function colour(n) {
    if (!n) return '';
    const alpha = Math.min(1, 0.1 + 0.9 * Math.sqrt(n / all));
    return 'rgba(230, 70, 20, ' + alpha.toFixed(3) + ')';
  }
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function counts(pairs) {
    const m = new Map();
    for (const [line, n] of pairs) m.set(line, n);
    return m;
  }

  function lineRow(f, i, line, text, own, total) {
    const tr = el('tr', { id: 'f' + i + '-l' + line });
    tr.append(el('td', { class: 'num' }, String(line)), el('td', { class: 'pct own' }, share(own)),
      el('td', { class: 'pct total' }, share(total)), el('td', { class: 'src' }, text));
    if (total) tr.children[2].style.background = colour(total);
    if (own) tr.children[1].style.background = colour(own);
    if (total) tr.children[3].style.background = colour(total).replace(/[\d.]+\)$/, (a) => (parseFloat(a) * 0.35).toFixed(3) + ')');
    return tr;
  }

  // A file's lines, drawn the first time it is opened.
  function draw(i) {
    if (drawn.has(i)) return drawn.get(i);
    const f = files[i];
    const own = counts(f.own), total = counts(f.total);
    const table = el('table', { class: 'source' });
    const head = el('tr');
    for (const h of ['line', 'own', 'total', 'source']) head.append(el('th', {}, h));
    table.append(el('thead'));
    table.tHead.append(head);
    const body = el('tbody');
    const frag = document.createDocumentFragment();
    if (f.src) {
      f.src.forEach((text, k) => frag.append(lineRow(f, i, k + 1, text, own.get(k + 1), total.get(k + 1))));
    } else {
      // No text: the lines that have samples, by number.
      const lines = [...new Set([...own.keys(), ...total.keys()])].sort((a, b) => a - b);
      for (const line of lines) frag.append(lineRow(f, i, line, '', own.get(line), total.get(line)));
    }
    body.append(frag);
    table.append(body);
    document.getElementById('file-' + i).append(table);
    drawn.set(i, body);
    return body;
  }

  function show(i, line) {
    const details = document.getElementById('file-' + i);
    details.open = true;
    draw(i);
    const row = document.getElementById('f' + i + '-l' + line) || details;
    row.scrollIntoView({ block: 'center' });
    row.classList.remove('flash');
    void row.offsetWidth;
    row.classList.add('flash');
  }

  function fromHash() {
    const m = /^#f(\d+)-l(\d+)$/.exec(location.hash);
    if (m && files[+m[1]]) show(+m[1], +m[2]);
  }

  // Functions, hottest first.
  const ftable = document.getElementById('function-rows');
  data.functions.forEach(([name, file, first, , own, total]) => {
    const tr = el('tr');
    const a = el('a', { href: '#f' + file + '-l' + first }, name);
    const where = el('td', {}, files[file].name + ':' + first);
    tr.append(el('td', { class: 'pct' }, share(own)), el('td', { class: 'pct' }, share(total)));
    const cell = el('td', { class: 'name' });
    cell.append(a);
    tr.append(cell, where);
    tr.children[0].style.background = colour(own);
    tr.children[1].style.background = colour(total);
    tr.dataset.search = (name + ' ' + files[file].name).toLowerCase();
    ftable.append(tr);
  });

  // Files, hottest first; the hottest open.
  const fileList = document.getElementById('files');
  files.forEach((f, i) => {
    const d = el('details', { class: 'file', id: 'file-' + i });
    const s = el('summary');
    s.append(el('b', {}, f.name), el('span', { class: 'share' },
      'running ' + (share(f.ownSum) || '0%') + ' · on the stack ' + (share(f.anywhere) || '0%')));
    d.append(s);
    if (f.error) d.append(el('div', { class: 'missing' }, 'source not shown: ' + f.error));
    d.addEventListener('toggle', () => { if (d.open) draw(i); });
    fileList.append(d);
    if (i < 3) { d.open = true; draw(i); }
  });

  // Search: lines and functions containing the text, case aside; Enter goes to the next.
  const input = document.getElementById('search');
  const status = document.getElementById('matches');
  let hits = [], at = -1;
  function search() {
    const q = input.value.toLowerCase();
    for (const body of drawn.values())
      for (const tr of body.querySelectorAll('tr.match')) tr.classList.remove('match');
    for (const tr of ftable.children) tr.classList.toggle('hidden', q !== '' && !tr.dataset.search.includes(q));
    hits = [];
    at = -1;
    if (!q) { status.textContent = ''; return; }
    const inFiles = new Set();
    files.forEach((f, i) => {
      (f.src || []).forEach((text, k) => {
        if (text.toLowerCase().includes(q)) { hits.push([i, k + 1]); inFiles.add(i); }
      });
    });
    for (const i of inFiles) {
      document.getElementById('file-' + i).open = true;
      const body = draw(i);
      for (const [fi, line] of hits) if (fi === i) body.querySelector('#f' + i + '-l' + line).classList.add('match');
    }
    status.textContent = hits.length + ' line' + (hits.length === 1 ? '' : 's') + ' in ' + inFiles.size +
      ' file' + (inFiles.size === 1 ? '' : 's') + ', ' +
      [...ftable.children].filter((tr) => !tr.classList.contains('hidden')).length + ' functions';
  }
  input.addEventListener('input', search);
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || !hits.length) return;
    at = (at + 1) % hits.length;
    show(hits[at][0], hits[at][1]);
  });
  window.addEventListener('hashchange', fromHash);
  fromHash();
  document.body.dataset.ready = 'yes';
})();
