// Drives the invitations and allowlist APIs through @clerk/backend. Usage:
//   node invitations.mjs <base URL> <secret key>
import assert from 'node:assert/strict';
import { clerk, step, expectError } from './lib.mjs';

let inv;
await step('create invitation', async () => {
  inv = await clerk.invitations.createInvitation({
    emailAddress: 'node-invite@example.com', publicMetadata: { team: 'blue' }, notify: false,
    redirectUrl: 'https://app.example.com/welcome', expiresInDays: 3,
  });
  assert.equal(inv.constructor.name, '_Invitation');
  assert.equal(inv.emailAddress, 'node-invite@example.com');
  assert.equal(inv.status, 'pending');
  assert.equal(inv.revoked, false);
  assert.deepEqual(inv.publicMetadata, { team: 'blue' });
  assert.match(inv.url, /\/v1\/tickets\/accept\?ticket=/);
});
await step('duplicate invitation', async () => {
  await expectError(clerk.invitations.createInvitation({ emailAddress: 'node-invite@example.com', notify: false }), 400, 'duplicate_record');
});
await step('bulk invitations', async () => {
  const made = await clerk.invitations.createInvitationBulk([
    { emailAddress: 'node-b1@example.com', notify: false }, { emailAddress: 'node-b2@example.com', notify: false },
  ]);
  assert.equal(made.length, 2);
  assert.equal(made[1].emailAddress, 'node-b2@example.com');
});
await step('list invitations', async () => {
  const list = await clerk.invitations.getInvitationList({ limit: 2, orderBy: 'email_address' });
  assert.equal(list.totalCount, 3);
  assert.deepEqual(list.data.map((i) => i.emailAddress), ['node-b1@example.com', 'node-b2@example.com']);
  const pending = await clerk.invitations.getInvitationList({ status: 'pending', query: 'invite' });
  assert.equal(pending.totalCount, 1);
});
await step('revoke invitation', async () => {
  const rev = await clerk.invitations.revokeInvitation(inv.id);
  assert.equal(rev.status, 'revoked');
  assert.equal(rev.revoked, true);
  await expectError(clerk.invitations.revokeInvitation(inv.id), 400, 'invitation_already_revoked');
});
await step('delete invitation', async () => {
  const del = await clerk.invitations.deleteInvitation(inv.id);
  assert.equal(del.deleted, true);
  assert.equal(del.id, inv.id);
  await expectError(clerk.invitations.deleteInvitation(inv.id), 404, 'resource_not_found');
});
await step('allowlist', async () => {
  const entry = await clerk.allowlistIdentifiers.createAllowlistIdentifier({ identifier: 'node@allowed.example', notify: true });
  assert.equal(entry.identifierType, 'email_address');
  assert.ok(entry.invitationId?.startsWith('inv_'));
  const list = await clerk.allowlistIdentifiers.getAllowlistIdentifierList();
  assert.equal(list.totalCount, 1);
  assert.equal(list.data[0].id, entry.id);
  await expectError(clerk.allowlistIdentifiers.createAllowlistIdentifier({ identifier: 'node@allowed.example', notify: false }), 400, 'duplicate_record');
  const del = await clerk.allowlistIdentifiers.deleteAllowlistIdentifier(entry.id);
  assert.equal(del.deleted, true);
});
console.log('ok');
