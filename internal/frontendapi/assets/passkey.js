// The hosted sign-in's passkey button: the server's request options go
// to the browser's authenticator, and its answer back in a form post.
(function () {
  var button = document.getElementById('passkey-button');
  var form = document.getElementById('passkey-form');
  var error = document.getElementById('passkey-error');
  if (!button || !form) return;
  if (!window.PublicKeyCredential) { button.hidden = true; return; }
  function bytes(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    return Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); });
  }
  function text(buf) {
    var s = '';
    new Uint8Array(buf).forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  button.addEventListener('click', async function () {
    button.disabled = true;
    error.textContent = '';
    try {
      var res = await fetch('/sign-in/passkey/options', { method: 'POST', credentials: 'same-origin' });
      var start = await res.json();
      if (!res.ok) throw new Error((start.errors && start.errors[0] && start.errors[0].long_message) || 'Passkeys are not available.');
      var opts = JSON.parse(start.options);
      opts.challenge = bytes(opts.challenge);
      (opts.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
      var cred = await navigator.credentials.get({ publicKey: opts });
      var r = cred.response;
      form.elements.sign_in_id.value = start.sign_in_id;
      form.elements.public_key_credential.value = JSON.stringify({
        id: cred.id, rawId: text(cred.rawId), type: cred.type, authenticatorAttachment: cred.authenticatorAttachment,
        response: {
          clientDataJSON: text(r.clientDataJSON), authenticatorData: text(r.authenticatorData),
          signature: text(r.signature), userHandle: r.userHandle ? text(r.userHandle) : null
        }
      });
      form.submit();
    } catch (e) {
      error.textContent = e && e.name === 'NotAllowedError' ? 'The passkey was not used.' : String(e.message || e);
      button.disabled = false;
    }
  });
})();
