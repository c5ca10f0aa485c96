// growthlog private-mode runtime (gl-private-v1); byte-for-byte partner of generator/crypto.py.
// Published once as unlock-<hash>.js; each shell's loader fetches it and runs it as an inline
// script, which the shell's Content-Security-Policy allows only for these exact bytes.
(() => {
  'use strict';
  const V = 'gl-private-v1';
  document.documentElement.dataset.glRuntime = V; // the loader's sign that this ran
  const $ = (id) => document.getElementById(id);
  const blob = JSON.parse($('gl-key').textContent);
  const page = JSON.parse($('gl-page').textContent);
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const DB = 'growthlog-private';
  // Storage holds no key bytes: IndexedDB holds non-extractable CryptoKeys, under
  // '<site>' (remembered) and '<site>|tab|<random id>' (one tab, the id in sessionStorage).
  const TAB = 'gl.tab.' + blob.site;
  const LEGACY = 'gl.key.' + blob.site; // raw key bytes an older runtime kept: deleted on sight
  const REMEMBERED = blob.site;
  const SITE_RANGE = () => IDBKeyRange.bound(blob.site, blob.site + '|\uffff');
  const TAB_IDLE_MS = 60 * 60 * 1000;
  const MOVED = 'This page was published at another address, so it was not opened: someone may ' +
    'have moved or replaced it. Open the journal from its home page.';
  const DAMAGED = 'This page could not be opened: it may be damaged or from an older version of ' +
    'the journal.';
  const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const b64url = (u8) => btoa(Array.from(u8, (b) => String.fromCharCode(b)).join(''))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
  // Addresses are input anyone can craft: a malformed escape is kept as typed, never thrown.
  const safeDecode = (text) => { try { return decodeURIComponent(text); } catch (e) { return text; } };

  function say(text) {
    $('gl-note').textContent = text;
  }

  async function deriveKek(passphrase, salt, iterations) {
    const base = await crypto.subtle.importKey(
      'raw', enc.encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveBits']);
    return new Uint8Array(await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, 256));
  }

  // Slots: the author's (the site key) first, then each reader's (a view key). One KEK per
  // salt and iteration count, however many slots share them (readers reuse the author's).
  const SLOTS = [{ salt: blob.salt, iter: blob.iter, wiv: blob.wiv, wrapped: blob.wrapped,
    aad: `${V}|sitekey|${blob.site}`, view: false }].concat((blob.slots || []).map((slot) => ({
    salt: slot.salt, iter: slot.iter, wiv: slot.wiv, wrapped: slot.wrapped,
    aad: `${V}|slot|${blob.site}|${slot.id}`, view: true })));
  const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
  const base32 = (u8) => {
    let bits = 0, value = 0, out = '';
    for (const byte of u8) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5) { out += B32[(value >>> (bits - 5)) & 31]; bits -= 5; }
    }
    return out;
  };
  const hkdfInfo = (label) => ({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: enc.encode(`${V}|${label}`) });

  // An opened site or view key → its content key, and where its home is ('' for the author's
  // site; a view's home is the opaque name of '' under its slug key, as views.py names it).
  async function siteOf(rootKey, view) {
    const key = await crypto.subtle.deriveKey(hkdfInfo('content'), rootKey,
      { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
    if (!view) return { key, home: '' };
    const slug = await crypto.subtle.deriveKey(hkdfInfo('slug'), rootKey,
      { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign']);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', slug, new Uint8Array(0)));
    return { key, home: base32(mac.subarray(0, 10)) + '/' };
  }

  // The passphrase → the first slot it opens; no key bytes reach script. Throws if none.
  async function openSlots(passphrase) {
    const base = await crypto.subtle.importKey(
      'raw', enc.encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
    const keks = new Map();
    for (const slot of SLOTS) {
      const group = `${slot.salt}|${slot.iter}`;
      if (!keks.has(group)) {
        keks.set(group, await crypto.subtle.deriveKey(
          { name: 'PBKDF2', hash: 'SHA-256', salt: unb64(slot.salt), iterations: slot.iter }, base,
          { name: 'AES-GCM', length: 256 }, false, ['unwrapKey']));
      }
      let rootKey;
      try {
        rootKey = await crypto.subtle.unwrapKey('raw', unb64(slot.wrapped), keks.get(group),
          { name: 'AES-GCM', iv: unb64(slot.wiv), additionalData: enc.encode(slot.aad) },
          'HKDF', false, ['deriveKey']);
      } catch (e) { continue; }
      return siteOf(rootKey, slot.view);
    }
    throw new Error('no slot opens');
  }

  // A link from `growthlog reader link`: '#key=<view key, base64url>', read once, then
  // taken out of the address bar and this tab's history before anything else happens.
  async function linkKey() {
    const match = /^#key=([A-Za-z0-9_-]{43})$/.exec(location.hash);
    if (!match) return null;
    history.replaceState(null, '', location.pathname + location.search);
    const raw = Uint8Array.from(atob(match[1].replace(/-/g, '+').replace(/_/g, '/') + '='),
      (c) => c.charCodeAt(0));
    const rootKey = await crypto.subtle.importKey('raw', raw, 'HKDF', false, ['deriveKey']);
    raw.fill(0);
    return siteOf(rootKey, true);
  }

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

  const get = (id) => idb('readonly', (store) => store.get(id));
  const put = (id, value) => idb('readwrite', (store) => store.put(value, id));

  // The key this tab or this device already holds, or null (storage refused: ask).
  async function cachedKey() {
    try {
      sessionStorage.removeItem(LEGACY);
      const now = Date.now();
      const tab = sessionStorage.getItem(TAB);
      const mine = tab ? await get(`${blob.site}|tab|${tab}`) : null;
      if (mine && mine.expires > now) return { key: mine.key, home: mine.home || '', from: 'tab' };
      const saved = blob.remember_days > 0 ? await get(REMEMBERED) : null;
      if (saved && saved.expires > now) return { key: saved.key, home: saved.home || '', from: 'device' };
    } catch (e) { /* storage unavailable */ }
    return null;
  }

  // Keep the key for this tab (a fresh random id each tab), for an hour after the last page.
  async function keepForTab(site) {
    let tab = sessionStorage.getItem(TAB);
    if (!tab) {
      tab = b64url(crypto.getRandomValues(new Uint8Array(16)));
      sessionStorage.setItem(TAB, tab);
    }
    await put(`${blob.site}|tab|${tab}`, { key: site.key, home: site.home, expires: Date.now() + TAB_IDLE_MS });
  }

  // Expired keys (tabs closed long ago), and a remembered key once remembering is off.
  function sweep() {
    const now = Date.now();
    return idb('readwrite', (store) => {
      const request = store.openCursor(SITE_RANGE());
      request.onsuccess = () => {
        const cursor = request.result;
        if (!cursor) return;
        const off = cursor.key === REMEMBERED && !(blob.remember_days > 0);
        if (off || !(cursor.value && cursor.value.expires > now)) cursor.delete();
        cursor.continue();
      };
      return request;
    }).catch(() => {});
  }

  async function forgetAll() {
    try {
      sessionStorage.removeItem(TAB);
      sessionStorage.removeItem(LEGACY);
    } catch (e) { /* none */ }
    try { await idb('readwrite', (store) => store.delete(SITE_RANGE())); } catch (e) { /* none */ }
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
    let url;
    try { url = new URL(href, location.href); } catch (e) { return null; }
    if (url.origin !== location.origin || !url.pathname.startsWith(basePath)) return null;
    const id = safeDecode(url.pathname.slice(basePath.length));
    return id.endsWith('.bin') ? id : null;
  }

  // The id this page must have been sealed under, from the address it is served at (never from
  // the shell, which anyone who can place files can edit). Hosts serve the not-found page at
  // every missing address, so that one page opens anywhere.
  function servedId() {
    if (page.id === '404.html') return page.id;
    if (!location.pathname.startsWith(basePath)) return null;
    const rest = safeDecode(location.pathname.slice(basePath.length));
    return rest === '' || rest.endsWith('/') ? rest + 'index.html' : rest;
  }

  // This page's payload opened with key under the served address, or null.
  async function openPage(key, id) {
    try {
      return await openSealed(key, id, unb64(page.payload));
    } catch (e) {
      return null;
    }
  }

  // Whether the key opens the home page it names in this deploy (a removed reader's
  // view is not published, so their remembered key opens nothing).
  async function opensHome(site) {
    // No readers: every key is the author's, and a page it does not open is damaged or stale.
    if (SLOTS.length < 2 || site.home + 'index.html' === servedId()) return false;
    try {
      const response = await fetch(basePath + site.home, { credentials: 'same-origin', referrerPolicy: 'no-referrer' });
      if (!response.ok) return false;
      const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
      const data = JSON.parse(doc.getElementById('gl-page').textContent);
      await openSealed(site.key, site.home + 'index.html', unb64(data.payload));
      return true;
    } catch (e) {
      return false;
    }
  }

  async function fetchOpen(key, id) {
    const response = await fetch(basePath + id, { credentials: 'same-origin', referrerPolicy: 'no-referrer' });
    if (!response.ok) throw new Error(`${response.status} for ${id}`);
    return openSealed(key, id, new Uint8Array(await response.arrayBuffer()));
  }

  async function render(opened, key) {
    const doc = new DOMParser().parseFromString(dec.decode(opened.body), 'text/html');
    // The theme's scripts in <head> (its search) are sealed files: run as inline scripts once
    // the page is shown, each only if the policy pins its exact text. An entry's never run.
    const scripts = Array.from(doc.head.querySelectorAll('script[src]'), (el) => sealedId(el.getAttribute('src')))
      .filter(Boolean).map((id) => fetchOpen(key, id).then((f) => dec.decode(f.body), () => ''));
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
    const code = await Promise.all(scripts);
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
    // The theme's search reads the sealed index through this hook.
    window.growthlogLoadIndex = (url) => fetchOpen(key, sealedId(url))
      .then((file) => JSON.parse(dec.decode(file.body)));
    // The page is shown; what follows reads the address and must not undo that. A script
    // inserted now finds the document complete and wires up the page itself.
    for (const text of code) {
      if (!text) continue;
      const script = document.createElement('script');
      script.textContent = text;
      document.body.appendChild(script);
    }
    if (location.hash.length > 1) {
      const target = document.getElementById(safeDecode(location.hash.slice(1)));
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
  if (channel) channel.onmessage = () => { sessionStorage.removeItem(TAB); location.reload(); };

  async function lockEverywhere() {
    await forgetAll();
    if (channel) channel.postMessage('lock');
    location.replace(location.pathname + location.search);
  }

  // cached: a key this tab or device held that did not open this page (stale after a
  // `key rotate`, or the page is damaged); it is dropped only once the passphrase proves it.
  function showForm(id, cached) {
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
      let site;
      try {
        site = await openSlots($('gl-pass').value);
      } catch (e) {
        $('gl-msg').textContent = 'That passphrase does not open this journal. Check it and try again.';
        button.disabled = false;
        $('gl-pass').select();
        return;
      }
      // The key decides the view: a page of another view sends the reader to their home.
      const opened = await openPage(site.key, id);
      if (!opened && !(await opensHome(site))) {
        $('gl-msg').textContent = DAMAGED;
        button.disabled = false;
        return;
      }
      try {
        await keepForTab(site);
        if ($('gl-remember').checked && blob.remember_days > 0) {
          await put(REMEMBERED, { key: site.key, home: site.home, expires: Date.now() + blob.remember_days * 86400000 });
        } else if (cached && cached.from === 'device') {
          await idb('readwrite', (store) => store.delete(REMEMBERED));
        }
      } catch (e) { /* storage refused: this page opens, the next one asks */ }
      if (!opened) {
        location.assign(basePath + site.home);
        return;
      }
      try {
        await render(opened, site.key);
      } catch (e) {
        $('gl-msg').textContent = DAMAGED;
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
    const linked = await linkKey();
    const id = servedId();
    if (id === null || id !== page.id) {
      say(MOVED);
      return;
    }
    if (linked) {
      const fromLink = await openPage(linked.key, id);
      if (fromLink || await opensHome(linked)) {
        await keepForTab(linked).catch(() => {});
        if (fromLink) await render(fromLink, linked.key);
        else location.replace(basePath + linked.home);
        return;
      }
    }
    const cached = await cachedKey();
    const opened = cached && await openPage(cached.key, id);
    if (opened) {
      await render(opened, cached.key);
      if (cached.from === 'tab') keepForTab(cached).catch(() => {});
      sweep();
      return;
    }
    if (cached && await opensHome(cached)) {
      location.replace(basePath + cached.home);
      return;
    }
    sweep();
    showForm(id, cached);
  }

  main().catch(() => {
    say('This page could not be shown. Reload it, or open the journal from its home page.');
  });
})();
