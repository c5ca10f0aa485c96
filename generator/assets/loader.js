(() => {
  const $ = (id) => document.getElementById(id);
  const base = new URL(JSON.parse($('gl-page').textContent).base, location.href).pathname;
  fetch(base + '@@FILE@@', { credentials: 'same-origin', referrerPolicy: 'no-referrer' })
    .then((response) => (response.ok ? response.text() : Promise.reject()))
    .then((text) => {
      const script = document.createElement('script');
      script.textContent = text;
      document.body.appendChild(script);
      if (!document.documentElement.dataset.glRuntime) throw new Error('refused');
    })
    .catch(() => {
      $('gl-note').textContent = 'This page could not load its unlock script. Reload it, or open the journal from its home page.';
    });
})();
