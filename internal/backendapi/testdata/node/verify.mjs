// Verifies a Concierge session token with @clerk/backend's verifyToken,
// which fetches the JWKS from the Backend API. Usage:
//   node verify.mjs <base URL> <secret key> <token> <user id> <session id>
import assert from 'node:assert/strict';
import { verifyToken } from '@clerk/backend';

const [apiUrl, secretKey, token, userId, sessionId] = process.argv.slice(2);
try {
  const claims = await verifyToken(token, { secretKey, apiUrl, issuer: apiUrl });
  assert.equal(claims.sub, userId);
  assert.equal(claims.sid, sessionId);
  assert.equal(claims.v, 2);
  console.log('ok');
} catch (e) {
  console.error('verifyToken failed:', e);
  process.exit(1);
}
