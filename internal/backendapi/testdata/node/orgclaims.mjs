// Reads a Concierge session token as Clerk's server SDKs do: verifyToken,
// then the auth object (orgId, orgRole, orgSlug, has()) that auth() and
// getAuth() hand an application. Usage:
//   node orgclaims.mjs <base URL> <secret key> <token> <org id or -> <slug> <role> [permissions]
// permissions, comma-joined, are the custom permissions the token must
// carry, no more and no fewer.
import assert from 'node:assert/strict';
import { verifyToken } from '@clerk/backend';
import { signedInAuthObject } from '@clerk/backend/internal';

const [apiUrl, secretKey, token, orgId, orgSlug, role, perms] = process.argv.slice(2);
try {
  const claims = await verifyToken(token, { secretKey, apiUrl, issuer: apiUrl });
  const auth = signedInAuthObject({ secretKey, apiUrl, apiVersion: 'v1' }, token, claims);
  if (orgId === '-') {
    assert.equal(auth.orgId, undefined);
    assert.equal(auth.has({ role: 'org:admin' }), false);
    assert.equal(auth.has({ role: 'org:member' }), false);
  } else {
    assert.equal(auth.orgId, orgId);
    assert.equal(auth.orgSlug, orgSlug);
    assert.equal(auth.orgRole, role);
    assert.equal(auth.has({ role }), true);
    assert.equal(auth.has({ role: role === 'org:admin' ? 'org:member' : 'org:admin' }), false);
    const want = perms ? perms.split(',') : [];
    assert.deepEqual([...auth.orgPermissions].sort(), [...want].sort());
    for (const p of want) assert.equal(auth.has({ permission: p }), true, p);
    assert.equal(auth.has({ permission: 'org:nothing:here' }), false);
    // System permissions stay out of tokens, as Clerk's.
    assert.equal(auth.has({ permission: 'org:sys_memberships:read' }), false);
  }
  console.log('ok');
} catch (e) {
  console.error('org claims:', e);
  process.exit(1);
}
