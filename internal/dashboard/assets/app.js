// The dashboard's small conveniences; every page works without them.
'use strict';

// Search as you type: fetch the matching rows after a pause.
document.querySelectorAll('[data-live-search]').forEach((input) => {
  let timer;
  let seq = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const n = ++seq;
      const params = new URLSearchParams(new FormData(input.form));
      params.set('partial', '1');
      const res = await fetch(input.dataset.liveSearch + '?' + params, { credentials: 'same-origin' });
      if (!res.ok || n !== seq) return;
      document.getElementById('user-rows').innerHTML = await res.text();
      params.delete('partial');
      history.replaceState(null, '', '?' + params);
    }, 200);
  });
});

// The metadata editor refuses invalid JSON before sending it.
document.querySelectorAll('form[data-json-form]').forEach((form) => {
  form.addEventListener('submit', (event) => {
    const bad = [];
    form.querySelectorAll('textarea[data-json]').forEach((area) => {
      area.removeAttribute('aria-invalid');
      const text = area.value.trim();
      if (text === '') return;
      try {
        const v = JSON.parse(text);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      } catch (e) {
        bad.push(area.labels[0].firstChild.textContent.trim());
        area.setAttribute('aria-invalid', 'true');
      }
    });
    const out = form.querySelector('[data-json-error]');
    if (bad.length > 0) {
      event.preventDefault();
      out.textContent = bad.join(' and ') + ': not a valid JSON object. Nothing was saved.';
      out.hidden = false;
    } else {
      out.hidden = true;
    }
  });
});

// Copy buttons.
document.querySelectorAll('[data-copy]').forEach((button) => {
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = 'Copied';
    } catch (e) {
      const box = button.previousElementSibling;
      if (box && box.select) { box.select(); }
      button.textContent = 'Press Ctrl+C';
    }
  });
});
