// Drives the sign-in token and actor token APIs through @clerk/backend.
// Usage: node tickets.mjs <base URL> <secret key>
import assert from 'node:assert/strict';
import { clerk, step, expectError } from './lib.mjs';

let user;
await step('create user', async () => {
  user = await clerk.users.createUser({ emailAddress: ['node-ticket@example.com'], skipPasswordRequirement: true });
});
await step('sign-in token', async () => {
  const tok = await clerk.signInTokens.createSignInToken({ userId: user.id, expiresInSeconds: 300 });
  assert.equal(tok.constructor.name, '_SignInToken');
  assert.equal(tok.userId, user.id);
  assert.equal(tok.status, 'pending');
  assert.ok(tok.token.split('.').length === 3);
  assert.match(tok.url, /\/v1\/tickets\/accept\?ticket=/);
  const rev = await clerk.signInTokens.revokeSignInToken(tok.id);
  assert.equal(rev.status, 'revoked');
  await expectError(clerk.signInTokens.revokeSignInToken(tok.id), 400, 'ticket_not_pending');
  await expectError(clerk.signInTokens.createSignInToken({ userId: 'user_nobody' }), 404, 'resource_not_found');
});
await step('actor token', async () => {
  const tok = await clerk.actorTokens.create({ userId: user.id, actor: { sub: 'user_support' }, expiresInSeconds: 60 });
  assert.equal(tok.constructor.name, '_ActorToken');
  assert.equal(tok.status, 'pending');
  assert.deepEqual(tok.actor, { sub: 'user_support' });
  assert.match(tok.url, /\/v1\/tickets\/accept\?ticket=/);
  const rev = await clerk.actorTokens.revoke(tok.id);
  assert.equal(rev.status, 'revoked');
  await expectError(clerk.actorTokens.create({ userId: user.id, actor: {} }), 422, 'form_param_format_invalid');
});
console.log('ok');
