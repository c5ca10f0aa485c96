/* growthlog search: answers in the browser from the index written at build time.
 *
 * No dependencies, no inline code (works under a strict CSP). The index URL comes from
 * the form's data-search-index attribute, computed at build time (so it is right under a
 * base path and already renamed in private mode). The index is loaded once, on first use,
 * through window.growthlogLoadIndex(url) when a page runtime provides one (private mode:
 * fetch + decrypt, resolving to the parsed JSON), otherwise with fetch(url).json().
 * window.growthlogSearch.init(root) wires up forms added later (e.g. after unlocking).
 *
 * The query never goes in ?q=, so no request and no host log holds what was searched for.
 * A public site puts it in the fragment (search/#q=words: never sent, bookmarkable). A
 * private site (a runtime supplies the index) keeps it out of the URL altogether, so not
 * even browser history holds it: it is handed to the results page in sessionStorage and
 * removed there. Enter in the header box goes to the results page by script, so it works
 * where the CSP says form-action 'none'.
 */
(function () {
  "use strict";

  var indexes = {};
  var WEIGHTS = { t: 8, c: 5, r: 5, g: 4, l: 3, x: 1 };
  var DROPDOWN_LIMIT = 8;

  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function terms(query) {
    return fold(query).split(/[^\p{L}\p{N}]+/u).filter(function (t) { return t.length > 0; });
  }

  var HANDOFF = "growthlog.search.q";
  var runOnPage = null;  // set on the results page: search there without navigating

  function isPrivate() { return typeof window.growthlogLoadIndex === "function"; }

  function pageOf(url) { return String(url).split("#")[0].split("?")[0]; }

  function resultsHref(action, query) {
    return isPrivate() ? pageOf(action) : pageOf(action) + "#q=" + encodeURIComponent(query);
  }

  function handOff(query) {
    if (!isPrivate()) { return; }
    try { window.sessionStorage.setItem(HANDOFF, query); } catch (e) { /* no storage */ }
  }

  function openResults(action, query) {
    if (runOnPage && pageOf(action) === pageOf(window.location.href)) {
      runOnPage(query);
      return;
    }
    handOff(query);
    window.location.assign(resultsHref(action, query));
  }

  function currentQuery() {
    if (isPrivate()) {
      var handed = null;
      try {
        handed = window.sessionStorage.getItem(HANDOFF);
        window.sessionStorage.removeItem(HANDOFF);
      } catch (e) { /* no storage */ }
      return handed || "";
    }
    var fromHash = new URLSearchParams(window.location.hash.replace(/^#/, "")).get("q");
    if (fromHash !== null) { return fromHash; }
    return new URLSearchParams(window.location.search).get("q") || "";  // older bookmarks
  }

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error("search index: HTTP " + response.status); }
      return response.json();
    });
  }

  function loadIndex(url) {
    if (!indexes[url]) {
      var load = typeof window.growthlogLoadIndex === "function" ? window.growthlogLoadIndex : fetchJson;
      indexes[url] = Promise.resolve(load(url)).then(prepare);
      indexes[url].catch(function () { delete indexes[url]; });
    }
    return indexes[url];
  }

  function prepare(data) {
    return (data.entries || []).map(function (e) {
      return {
        entry: e,
        fields: {
          t: fold(e.t), c: fold(e.c), r: fold(e.r), g: fold((e.g || []).join(" ")),
          l: fold((e.l || []).join(" ")), x: fold(e.x)
        }
      };
    });
  }

  function search(records, query) {
    var words = terms(query);
    if (!words.length) { return []; }
    var hits = [];
    records.forEach(function (record) {
      var score = 0;
      for (var i = 0; i < words.length; i++) {
        var found = 0;
        for (var key in WEIGHTS) {
          if (record.fields[key].indexOf(words[i]) !== -1) { found += WEIGHTS[key]; }
        }
        if (!found) { return; }
        score += found;
      }
      hits.push({ record: record, score: score });
    });
    hits.sort(function (a, b) {
      return b.score - a.score || (a.record.entry.d < b.record.entry.d ? 1 : -1);
    });
    return hits.map(function (hit) { return hit.record.entry; });
  }

  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  var SNIPPET = 160;
  var TRAILING = /[\s.,;:!?\u2026\u2013\u2014-]+$/;

  function longDate(iso) {  // as the rest of the site writes dates: 22 September 2026
    var parts = String(iso || "").split("-");
    if (parts.length !== 3 || !MONTHS[+parts[1] - 1]) { return iso || ""; }
    return +parts[2] + " " + MONTHS[+parts[1] - 1] + " " + parts[0];
  }

  // Where each folded character came from in `text`: matches are found in folded text
  // (no accents, lower case) and marked in the text as written.
  function foldMap(text) {
    var folded = "", at = [];
    for (var i = 0; i < text.length;) {
      var ch = String.fromCodePoint(text.codePointAt(i));
      var f = fold(ch);
      for (var k = 0; k < f.length; k++) { at.push(i); }
      folded += f;
      i += ch.length;
    }
    at.push(text.length);
    return { folded: folded, at: at };
  }

  function matches(text, words) {
    var map = foldMap(text), ranges = [];
    words.forEach(function (word) {
      for (var k = map.folded.indexOf(word); k !== -1; k = map.folded.indexOf(word, k + word.length)) {
        ranges.push([map.at[k], map.at[k + word.length]]);
      }
    });
    ranges.sort(function (a, b) { return a[0] - b[0]; });
    var merged = [];
    ranges.forEach(function (r) {
      var last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) { last[1] = Math.max(last[1], r[1]); } else { merged.push(r); }
    });
    return merged;
  }

  function appendMarked(parent, text, words) {
    var from = 0;
    matches(text, words).forEach(function (r) {
      if (r[0] > from) { parent.appendChild(document.createTextNode(text.slice(from, r[0]))); }
      var mark = document.createElement("mark");
      mark.textContent = text.slice(r[0], r[1]);
      parent.appendChild(mark);
      from = r[1];
    });
    if (from < text.length) { parent.appendChild(document.createTextNode(text.slice(from))); }
  }

  // About SNIPPET characters around the first match, cut between words, with one "…"
  // where text was left out (never after a comma or full stop of its own).
  function snippet(text, words) {
    text = text || "";
    if (text.length <= SNIPPET) { return text; }
    var found = matches(text, words);
    var at = found.length ? found[0][0] : 0;
    var start = at > 50 ? text.lastIndexOf(" ", at - 50) + 1 : 0;
    var end = start + SNIPPET;
    if (end >= text.length) { end = text.length; } else {
      var space = text.lastIndexOf(" ", end);
      if (space > at) { end = space; }
    }
    var piece = text.slice(start, end);
    if (end < text.length) { piece = piece.replace(TRAILING, "") + "\u2026"; }
    return (start > 0 ? "\u2026" : "") + piece;
  }

  function resultItem(entry, query) {
    var words = terms(query);
    var li = document.createElement("li");
    li.className = "search-hit";
    var link = document.createElement("a");
    link.href = entry.u;
    appendMarked(link, entry.t, words);
    li.appendChild(link);
    var meta = document.createElement("span");
    meta.className = "search-meta";
    appendMarked(meta, [entry.c, longDate(entry.d)].filter(Boolean).join(" · "), words);
    li.appendChild(meta);
    var text = document.createElement("span");
    text.className = "search-snippet";
    appendMarked(text, snippet(entry.x, words), words);
    li.appendChild(text);
    return li;
  }

  function show(list, status, hits, query, limit) {
    list.textContent = "";
    var shown = limit ? hits.slice(0, limit) : hits;
    shown.forEach(function (entry) { list.appendChild(resultItem(entry, query)); });
    if (limit && hits.length > limit) {
      var more = document.createElement("li");
      more.className = "search-more";
      var link = document.createElement("a");
      link.href = resultsHref(list.closest("form").action, query);
      link.addEventListener("click", function () { handOff(query); });
      link.textContent = "All " + hits.length + " results →";
      more.appendChild(link);
      list.appendChild(more);
    }
    var words = query.trim() ? (hits.length ? hits.length + (hits.length === 1 ? " entry" : " entries") + " found" : "No entries match “" + query.trim() + "”") : "";
    if (status) { status.textContent = words; }
    if (!hits.length && query.trim() && limit) {
      var none = document.createElement("li");
      none.className = "search-none";
      none.textContent = "Nothing matches yet.";
      list.appendChild(none);
    }
  }

  function wireDropdown(form) {
    if (form.dataset.searchReady) { return; }
    form.dataset.searchReady = "1";
    var input = form.querySelector("input[type=search]");
    var list = form.querySelector(".search-dropdown");
    var status = form.querySelector("[role=status]");
    if (!input || !list) { return; }
    var url = form.dataset.searchIndex;
    var latest = 0;
    function run() {
      var query = input.value;
      var ticket = ++latest;
      if (!query.trim()) { list.hidden = true; list.textContent = ""; if (status) { status.textContent = ""; } return; }
      loadIndex(url).then(function (records) {
        if (ticket !== latest) { return; }
        show(list, status, search(records, query), query, DROPDOWN_LIMIT);
        list.hidden = false;
      }, function () {
        if (status) { status.textContent = "Search is not available right now."; }
      });
    }
    input.addEventListener("input", run);
    input.addEventListener("focus", function () { loadIndex(url).catch(function () {}); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      openResults(form.action, input.value);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { list.hidden = true; }
    });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) { list.hidden = true; }
    });
  }

  function wirePage(root) {
    var page = root.querySelector("#search-page");
    if (!page || page.dataset.searchReady) { return; }
    page.dataset.searchReady = "1";
    var form = page.querySelector("form");
    var input = page.querySelector("input[type=search]");
    var list = page.querySelector("#search-page-results");
    var status = page.querySelector("#search-page-status");
    var query = currentQuery();
    input.value = query;
    function run(text) {
      loadIndex(form.dataset.searchIndex).then(function (records) {
        show(list, status, search(records, text), text, 0);
      }, function () { status.textContent = "Search is not available right now."; });
    }
    runOnPage = function (text) {
      input.value = text;
      if (!isPrivate()) { window.history.replaceState(null, "", resultsHref(window.location.href, text)); }
      run(text);
    };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      runOnPage(input.value);
    });
    var typing = 0;
    input.addEventListener("input", function () {  // as the header box does, as you type
      window.clearTimeout(typing);
      typing = window.setTimeout(function () {
        if (!isPrivate()) {  // the fragment only, replaced: no request, no history entry
          var href = input.value ? resultsHref(window.location.href, input.value)
                                 : pageOf(window.location.href);
          window.history.replaceState(null, "", href);
        }
        if (input.value.trim()) { run(input.value); } else { list.textContent = ""; status.textContent = ""; }
      }, 150);
    });
    window.addEventListener("hashchange", function () {
      if (!isPrivate()) { input.value = currentQuery(); run(input.value); }
    });
    if (query) { run(query); }
  }

  function init(root) {
    root = root || document;
    Array.prototype.forEach.call(root.querySelectorAll("form[data-search-index]"), function (form) {
      if (form.querySelector(".search-dropdown")) { wireDropdown(form); }
    });
    wirePage(root);
  }

  window.growthlogSearch = { init: init, search: search, loadIndex: loadIndex };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
