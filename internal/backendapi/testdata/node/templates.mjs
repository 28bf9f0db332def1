// Checks JWT template tokens and custom session claims with
// @clerk/backend: verifyToken accepts a template token (with its
// audience), authenticateRequest refuses it as a session token, and a
// session token carries the instance's custom claims. Usage:
//   node templates.mjs <base URL> <secret key> <template token> <session token> <user id>
import assert from 'node:assert/strict';
import { createClerkClient, verifyToken } from '@clerk/backend';

const [apiUrl, secretKey, templateToken, sessionToken, userId] = process.argv.slice(2);
try {
  const t = await verifyToken(templateToken, { secretKey, apiUrl, issuer: apiUrl, audience: 'convex' });
  assert.equal(t.sub, userId);
  assert.equal(t.aud, 'convex');
  assert.equal(t.role, 'admin');
  assert.equal(t.email, 'ada@example.com');

  const s = await verifyToken(sessionToken, { secretKey, apiUrl, issuer: apiUrl });
  assert.equal(s.sub, userId);
  assert.equal(s.role, 'admin');

  const clerk = createClerkClient({ secretKey, apiUrl, publishableKey: 'pk_test_' + Buffer.from(new URL(apiUrl).host + '$').toString('base64') });
  const ask = (token) => clerk.authenticateRequest(new Request('http://app.example.test/api', { headers: { Authorization: 'Bearer ' + token } }));
  assert.equal((await ask(sessionToken)).isSignedIn, true, 'the session token is a session token');
  const refused = await ask(templateToken);
  assert.equal(refused.isSignedIn, false, 'a template token passed as a session token');
  console.log('ok');
} catch (e) {
  console.error('template checks failed:', e);
  process.exit(1);
}
