// Drives the waitlist entries API through @clerk/backend. Usage:
//   node waitlist.mjs <base URL> <secret key>
import assert from 'node:assert/strict';
import { clerk, step, expectError } from './lib.mjs';

let ada, bob;
await step('create entry', async () => {
  ada = await clerk.waitlistEntries.create({ emailAddress: 'node-ada@example.com', notify: false });
  assert.equal(ada.constructor.name, '_WaitlistEntry');
  assert.match(ada.id, /^wle_/);
  assert.equal(ada.emailAddress, 'node-ada@example.com');
  assert.equal(ada.status, 'pending');
  assert.equal(ada.isLocked, false);
  assert.equal(ada.invitation, null);
  const again = await clerk.waitlistEntries.create({ emailAddress: 'node-ada@example.com' });
  assert.equal(again.id, ada.id);
});
await step('bulk entries', async () => {
  const made = await clerk.waitlistEntries.createBulk([
    { emailAddress: 'node-bob@example.com', notify: false }, { emailAddress: 'node-cy@example.com', notify: false },
  ]);
  assert.equal(made.length, 2);
  bob = made[0];
  assert.equal(bob.emailAddress, 'node-bob@example.com');
  await expectError(clerk.waitlistEntries.createBulk([]), 422, 'form_param_missing');
});
await step('list entries', async () => {
  const list = await clerk.waitlistEntries.list({ limit: 2, orderBy: '+email_address' });
  assert.equal(list.totalCount, 3);
  assert.deepEqual(list.data.map((e) => e.emailAddress), ['node-ada@example.com', 'node-bob@example.com']);
  const q = await clerk.waitlistEntries.list({ query: 'cy', status: 'pending' });
  assert.equal(q.totalCount, 1);
  await expectError(clerk.waitlistEntries.list({ status: 'nope' }), 422, 'form_param_value_invalid');
});
await step('invite entry', async () => {
  const inv = await clerk.waitlistEntries.invite(ada.id);
  assert.equal(inv.status, 'invited');
  assert.equal(inv.invitation.constructor.name, '_Invitation');
  assert.equal(inv.invitation.status, 'pending');
  assert.equal(inv.invitation.emailAddress, 'node-ada@example.com');
  assert.match(inv.invitation.url, /\/v1\/tickets\/accept\?ticket=/);
  await expectError(clerk.waitlistEntries.invite(ada.id), 400, 'duplicate_record');
  const re = await clerk.waitlistEntries.invite(ada.id, { ignoreExisting: true });
  assert.notEqual(re.invitation.id, inv.invitation.id);
  await expectError(clerk.waitlistEntries.invite('wle_missing'), 404, 'resource_not_found');
});
await step('reject entry', async () => {
  const rej = await clerk.waitlistEntries.reject(ada.id);
  assert.equal(rej.status, 'rejected');
  assert.equal(rej.invitation.status, 'revoked');
  await expectError(clerk.waitlistEntries.reject('wle_missing'), 404, 'resource_not_found');
});
await step('delete entry', async () => {
  const del = await clerk.waitlistEntries.delete(bob.id);
  assert.equal(del.deleted, true);
  assert.equal(del.id, bob.id);
  await expectError(clerk.waitlistEntries.delete(bob.id), 404, 'resource_not_found');
});
console.log('ok');
