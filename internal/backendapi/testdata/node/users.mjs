// Drives the users API through @clerk/backend. Usage:
//   node users.mjs <base URL> <secret key>
import assert from 'node:assert/strict';
import { clerk, step, expectError } from './lib.mjs';

let user;
await step('create', async () => {
  user = await clerk.users.createUser({
    emailAddress: ['node@example.com'], password: 'node-sdk-check-2026', firstName: 'Node',
    publicMetadata: { fooBar: 1 },
  });
  assert.equal(user.constructor.name, '_User');
  assert.equal(user.primaryEmailAddress.emailAddress, 'node@example.com');
  assert.deepEqual(user.publicMetadata, { fooBar: 1 });
  assert.equal(user.passwordEnabled, true);
});
await step('get', async () => {
  const got = await clerk.users.getUser(user.id);
  assert.equal(got.id, user.id);
});
await step('list and count', async () => {
  const list = await clerk.users.getUserList({ query: 'node', limit: 5 });
  assert.equal(list.totalCount, 1);
  assert.equal(list.data[0].id, user.id);
  assert.equal(await clerk.users.getCount(), 1);
});
await step('update (PATCH then PUT metadata)', async () => {
  const u = await clerk.users.updateUser(user.id, { lastName: 'JS', publicMetadata: { a: 1 } });
  assert.equal(u.lastName, 'JS');
  assert.deepEqual(u.publicMetadata, { a: 1 });
});
await step('merge metadata', async () => {
  const u = await clerk.users.updateUserMetadata(user.id, { publicMetadata: { nested: { x: 1 } } });
  assert.deepEqual(u.publicMetadata, { a: 1, nested: { x: 1 } });
});
await step('ban, unban, lock, unlock', async () => {
  assert.equal((await clerk.users.banUser(user.id)).banned, true);
  assert.equal((await clerk.users.unbanUser(user.id)).banned, false);
  assert.equal((await clerk.users.lockUser(user.id)).locked, true);
  assert.equal((await clerk.users.unlockUser(user.id)).locked, false);
});
await step('identifier filters combine as "any of"; other filters narrow', async () => {
  const phoneUser = await clerk.users.createUser({ phoneNumber: ['+14155552671'], skipPasswordRequirement: true });
  // Owns nothing the filter lists: a filter that matched everyone would show it.
  const bystander = await clerk.users.createUser({ emailAddress: ['bystander@example.com'], skipPasswordRequirement: true });
  const ids = (list) => list.data.map((u) => u.id);
  const filter = { emailAddress: ['node@example.com'], phoneNumber: ['+14155552671'] };
  const union = await clerk.users.getUserList(filter);
  assert.deepEqual(ids(union), [phoneUser.id, user.id]);
  assert.equal(union.totalCount, 2);
  assert.equal(await clerk.users.getCount(filter), 2);
  const excluded = await clerk.users.getUserList({ ...filter, userId: [`-${phoneUser.id}`] });
  assert.deepEqual(ids(excluded), [user.id]);
  await clerk.users.banUser(user.id);
  // banned is not in the SDK's param types, but it passes the value on.
  const banned = await clerk.users.getUserList({ ...filter, banned: true });
  assert.deepEqual(ids(banned), [user.id]);
  assert.equal(banned.totalCount, 1);
  assert.equal(await clerk.users.getCount({ ...filter, banned: true }), 1);
  await clerk.users.unbanUser(user.id);
  await clerk.users.deleteUser(phoneUser.id);
  await clerk.users.deleteUser(bystander.id);
});
await step('second factors', async () => {
  const mfa = await clerk.users.createUser({ emailAddress: ['node-mfa@example.com'], skipPasswordRequirement: true,
    totpSecret: 'JBSWY3DPEHPK3PXP', backupCodes: ['node-backup-1'] });
  assert.equal(mfa.totpEnabled, true);
  assert.equal(mfa.backupCodeEnabled, true);
  assert.equal(mfa.twoFactorEnabled, true);
  const ok = await clerk.users.verifyTOTP({ userId: mfa.id, code: 'node-backup-1' });
  assert.equal(ok.verified, true);
  assert.equal(ok.code_type ?? ok.codeType, 'backup_code');
  const again = await clerk.users.verifyTOTP({ userId: mfa.id, code: 'node-backup-1' });
  assert.equal(again.verified, false);
  await clerk.users.disableUserMFA(mfa.id);
  const off = await clerk.users.getUser(mfa.id);
  assert.equal(off.twoFactorEnabled, false);
  await clerk.users.deleteUser(mfa.id);
});
await step('errors', async () => {
  const dup = await expectError(
    clerk.users.createUser({ emailAddress: ['node@example.com'], skipPasswordRequirement: true }),
    422, 'form_identifier_exists');
  assert.equal(dup.errors[0].meta.paramName, 'email_address');
  assert.ok(dup.clerkTraceId);
  await expectError(clerk.users.getUser('user_missing'), 404, 'resource_not_found');
});
await step('delete', async () => {
  const d = await clerk.users.deleteUser(user.id);
  assert.equal(d.constructor.name, '_DeletedObject');
  assert.equal(d.deleted, true);
  assert.equal(d.id, user.id);
});
console.log('ok');
