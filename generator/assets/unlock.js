// growthlog private-mode runtime (gl-private-v1); byte-for-byte partner of generator/crypto.py.
// Pinned by hash in each shell page's Content-Security-Policy. No dependencies.
(() => {
  'use strict';
  const V = 'gl-private-v1';
  const $ = (id) => document.getElementById(id);
  const blob = JSON.parse($('gl-key').textContent);
  const page = JSON.parse($('gl-page').textContent);
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const SESSION = 'gl.key.' + blob.site;
  const DB = 'growthlog-private';
  const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const b64 = (u8) => btoa(Array.from(u8, (b) => String.fromCharCode(b)).join(''));
  const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');

  function say(text) {
    $('gl-note').textContent = text;
  }

  async function deriveKek(passphrase, salt, iterations) {
    const base = await crypto.subtle.importKey(
      'raw', enc.encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveBits']);
    return new Uint8Array(await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, 256));
  }

  async function contentKeyBits(passphrase) {
    const kek = await crypto.subtle.importKey(
      'raw', await deriveKek(passphrase, unb64(blob.salt), blob.iter), 'AES-GCM', false,
      ['decrypt']);
    const siteKey = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: unb64(blob.wiv), additionalData: enc.encode(`${V}|sitekey|${blob.site}`) },
      kek, unb64(blob.wrapped));
    const ikm = await crypto.subtle.importKey('raw', siteKey, 'HKDF', false, ['deriveBits']);
    return new Uint8Array(await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: enc.encode(`${V}|content`) },
      ikm, 256));
  }

  const importContent = (raw) => crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['decrypt']);

  function idb(mode, action) {
    return new Promise((resolve, reject) => {
      const open = indexedDB.open(DB, 1);
      open.onupgradeneeded = () => open.result.createObjectStore('keys');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const tx = open.result.transaction('keys', mode);
        const request = action(tx.objectStore('keys'));
        tx.oncomplete = () => { open.result.close(); resolve(request.result); };
        tx.onerror = () => { open.result.close(); reject(tx.error); };
      };
    });
  }

  async function cachedKey() {
    const raw = sessionStorage.getItem(SESSION);
    if (raw) return importContent(unb64(raw));
    try {
      const saved = await idb('readonly', (store) => store.get(blob.site));
      if (saved && saved.expires > Date.now()) return saved.key;
      if (saved) await idb('readwrite', (store) => store.delete(blob.site));
    } catch (e) { /* storage unavailable: ask */ }
    return null;
  }

  async function forget() {
    sessionStorage.removeItem(SESSION);
    try { await idb('readwrite', (store) => store.delete(blob.site)); } catch (e) { /* none */ }
  }

  async function openSealed(key, id, sealed) {
    const plain = new Uint8Array(await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: sealed.subarray(0, 12), additionalData: enc.encode(`${V}|file|${blob.site}|${id}`) },
      key, sealed.subarray(12)));
    const view = new DataView(plain.buffer);
    const metaLen = view.getUint32(0);
    const bodyLen = view.getUint32(4);
    const meta = JSON.parse(dec.decode(plain.subarray(8, 8 + metaLen)));
    return { meta, body: plain.subarray(8 + metaLen, 8 + metaLen + bodyLen) };
  }

  const basePath = new URL(page.base, location.href).pathname;

  function sealedId(href) {
    if (!href) return null;
    const url = new URL(href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(basePath)) return null;
    const id = decodeURIComponent(url.pathname.slice(basePath.length));
    return id.endsWith('.bin') ? id : null;
  }

  async function fetchOpen(key, id) {
    const response = await fetch(basePath + id, { credentials: 'same-origin', referrerPolicy: 'no-referrer' });
    if (!response.ok) throw new Error(`${response.status} for ${id}`);
    return openSealed(key, id, new Uint8Array(await response.arrayBuffer()));
  }

  async function render(key) {
    const opened = await openSealed(key, page.id, unb64(page.payload));
    const doc = new DOMParser().parseFromString(dec.decode(opened.body), 'text/html');
    for (const el of doc.body.querySelectorAll('meta, base, script')) el.remove();
    const styles = [];
    for (const el of doc.head.querySelectorAll('link[rel~="stylesheet"], style')) {
      const id = el.tagName === 'LINK' ? sealedId(el.getAttribute('href')) : null;
      if (el.tagName === 'STYLE') styles.push(Promise.resolve(el.textContent));
      else if (id) styles.push(fetchOpen(key, id).then((f) => dec.decode(f.body), () => ''));
    }
    const images = Array.from(doc.body.querySelectorAll('img[src]'), (img) => {
      const id = sealedId(img.getAttribute('src'));
      if (!id) return null;
      img.removeAttribute('src');
      return fetchOpen(key, id).then((f) => {
        img.src = URL.createObjectURL(new Blob([f.body], { type: f.meta.type }));
      }, () => {});
    });
    const css = await Promise.all(styles);
    await Promise.all(images);
    for (const text of css.filter(Boolean)) {
      const style = document.createElement('style');
      style.textContent = text;
      document.head.appendChild(style);
    }
    for (const meta of doc.head.querySelectorAll('meta[name="color-scheme"], meta[name="theme-color"]')) {
      document.head.appendChild(document.importNode(meta, true));
    }
    if (doc.documentElement.lang) document.documentElement.lang = doc.documentElement.lang;
    if (blob.reveal_titles && opened.meta.title) document.title = doc.title || opened.meta.title;
    const body = document.adoptNode(doc.body);
    body.addEventListener('click', (event) => openAttachment(event, key));
    const lock = document.createElement('button');
    lock.id = 'gl-lock';
    lock.type = 'button';
    lock.textContent = 'Lock';
    lock.title = 'Forget the key on this device and lock the journal';
    lock.addEventListener('click', () => { lockEverywhere(); });
    body.appendChild(lock);
    document.documentElement.replaceChild(body, document.body);
    document.documentElement.dataset.glUnlocked = '1';
    // The theme's search (inlined in the shell) reads the sealed index through this hook.
    window.growthlogLoadIndex = (url) => fetchOpen(key, sealedId(url))
      .then((file) => JSON.parse(dec.decode(file.body)));
    if (window.growthlogSearch) window.growthlogSearch.init(document);
    if (location.hash.length > 1) {
      const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (target) target.scrollIntoView();
    }
  }

  async function openAttachment(event, key) {
    const link = event.target.closest && event.target.closest('a[href]');
    const id = link && sealedId(link.getAttribute('href'));
    if (!id) return;
    event.preventDefault();
    const file = await fetchOpen(key, id);
    // Keep the link's fragment ('#page=2'): it is for the viewer and never leaves the browser.
    const hash = new URL(link.href).hash;
    location.assign(URL.createObjectURL(new Blob([file.body], { type: file.meta.type })) + hash);
  }

  const channel = 'BroadcastChannel' in window ? new BroadcastChannel('gl.lock.' + blob.site) : null;
  if (channel) channel.onmessage = () => { sessionStorage.removeItem(SESSION); location.reload(); };

  async function lockEverywhere() {
    await forget();
    if (channel) channel.postMessage('lock');
    location.replace(location.pathname + location.search);
  }

  function showForm() {
    const form = $('gl-form');
    form.hidden = false;
    if (blob.remember_days > 0) {
      $('gl-days').textContent = String(blob.remember_days);
      $('gl-remember-row').hidden = false;
    }
    say('This journal is private. Enter the passphrase to read it.');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = form.querySelector('button');
      button.disabled = true;
      $('gl-msg').textContent = '';
      let raw;
      try {
        raw = await contentKeyBits($('gl-pass').value);
      } catch (e) {
        $('gl-msg').textContent = 'That passphrase does not open this journal. Check it and try again.';
        button.disabled = false;
        $('gl-pass').select();
        return;
      }
      sessionStorage.setItem(SESSION, b64(raw));
      const key = await importContent(raw);
      if ($('gl-remember').checked && blob.remember_days > 0) {
        const expires = Date.now() + blob.remember_days * 86400000;
        try { await idb('readwrite', (store) => store.put({ key, expires }, blob.site)); } catch (e) { /* session only */ }
      }
      try {
        await render(key);
      } catch (e) {
        $('gl-msg').textContent = 'This page could not be opened: it may be damaged or from an older version of the journal.';
        button.disabled = false;
      }
    });
  }

  async function main() {
    if (window.top !== window.self) {
      say('For your safety this journal cannot be shown inside a frame. Open it directly.');
      return;
    }
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
      say('This journal can only be unlocked over a secure connection: open it over HTTPS, with an address that starts with https.');
      return;
    }
    window.growthlogPrivate = Object.freeze({
      deriveKekHex: async (passphrase, saltB64, iterations) => hex(await deriveKek(passphrase, unb64(saltB64), iterations)),
    });
    if (location.hash === '#lock') {
      await lockEverywhere();
      return;
    }
    const key = await cachedKey();
    if (key) {
      try {
        await render(key);
        return;
      } catch (e) {
        await forget(); // a rotated key or a damaged page: ask again
      }
    }
    showForm();
  }

  main();
})();
