// growthlog live reload: injected into pages by `growthlog serve`, never written to the site.
// Listens for one server-sent event per rebuild; reloads this page only when its own file
// (or a stylesheet or script, which every page loads) changed; shows or clears the overlay
// and the warnings banner (a dismissed set of warnings stays hidden for this tab).
(function () {
  "use strict";
  var script = document.currentScript;
  var epoch = Number(script.getAttribute("data-epoch")) || 0;
  var server = script.getAttribute("data-server") || "";
  var paths = JSON.parse(script.getAttribute("data-paths") || "[]");
  var OVERLAY = "growthlog-overlay";
  var BANNER = "growthlog-warnings";
  var DISMISSED = "growthlog-dismissed-warnings";

  function dismissed() {
    try { return window.sessionStorage.getItem(DISMISSED); } catch (e) { return null; }
  }

  function remember(key) {
    try { window.sessionStorage.setItem(DISMISSED, key); } catch (e) { /* private mode */ }
  }

  function concernsThisPage(changed) {
    if (changed === null) return true;
    return changed.some(function (path) {
      return paths.indexOf(path) !== -1 || /\.(css|js)$/.test(path);
    });
  }

  function showOverlay(markup) {
    var old = document.getElementById(OVERLAY);
    if (old) old.parentNode.removeChild(old);
    if (markup) document.body.insertAdjacentHTML("beforeend", markup);  // escaped by the server
  }

  function hideDismissedBanner() {
    var banner = document.getElementById(BANNER);
    if (banner && banner.getAttribute("data-key") === dismissed()) {
      banner.parentNode.removeChild(banner);
    }
  }

  function showBanner(markup) {
    var old = document.getElementById(BANNER);
    if (old) old.parentNode.removeChild(old);
    if (markup) {
      document.body.insertAdjacentHTML("beforeend", markup);  // escaped by the server
      hideDismissedBanner();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-growthlog-dismiss]");
    if (!button) return;
    var banner = document.getElementById(BANNER);
    if (banner) {
      remember(banner.getAttribute("data-key") || "");
      banner.parentNode.removeChild(banner);
    }
  });

  function connect() {
    var url = "/__growthlog__/events?since=" + epoch + "&server=" + encodeURIComponent(server);
    var source = new EventSource(url);
    source.onmessage = function (message) {
      var event = JSON.parse(message.data);
      epoch = event.epoch;
      if (concernsThisPage(event.changed)) {
        source.close();
        window.location.reload();
        return;
      }
      showOverlay(event.overlay);
      showBanner(event.overlay ? "" : event.banner);
    };
    source.onerror = function () {
      source.close();
      window.setTimeout(connect, 1000);
    };
  }

  hideDismissedBanner();
  connect();
})();
