// Drives the primary-identifier replacement and the sign-up attempts
// with @clerk/backend. Usage:
//   node signups.mjs <base URL> <secret key> <sign-up id>
import assert from 'node:assert/strict';
import { clerk, step, expectError } from './lib.mjs';

const signUpId = process.argv[4];

let user;
await step('create user', async () => {
  user = await clerk.users.createUser({
    emailAddress: ['old@example.com', 'second@example.com'],
    phoneNumber: ['+14155550101'],
    skipPasswordRequirement: true,
  });
});

await step('replace email address', async () => {
  const e = await clerk.users.replaceUserEmailAddress(user.id, { emailAddress: 'New@Example.com' });
  assert.equal(e.emailAddress, 'new@example.com');
  assert.equal(e.verification?.status, 'verified');
  const u = await clerk.users.getUser(user.id);
  assert.equal(u.primaryEmailAddressId, e.id);
  assert.deepEqual(u.emailAddresses.map((x) => x.emailAddress).sort(), ['new@example.com', 'second@example.com']);
});

await step('replace email address with one the user has', async () => {
  const u0 = await clerk.users.getUser(user.id);
  const second = u0.emailAddresses.find((x) => x.emailAddress === 'second@example.com');
  const e = await clerk.users.replaceUserEmailAddress(user.id, { emailAddress: 'second@example.com' });
  assert.equal(e.id, second.id);
  const u = await clerk.users.getUser(user.id);
  assert.equal(u.primaryEmailAddressId, second.id);
  assert.deepEqual(u.emailAddresses.map((x) => x.emailAddress), ['second@example.com']);
});

await step('replace phone number', async () => {
  const p = await clerk.users.replaceUserPhoneNumber(user.id, { phoneNumber: '+14155550102' });
  assert.equal(p.phoneNumber, '+14155550102');
  const u = await clerk.users.getUser(user.id);
  assert.equal(u.primaryPhoneNumberId, p.id);
  assert.deepEqual(u.phoneNumbers.map((x) => x.phoneNumber), ['+14155550102']);
});

await step('replace errors', async () => {
  await expectError(clerk.users.replaceUserEmailAddress('user_missing', { emailAddress: 'x@example.com' }), 404, 'resource_not_found');
  await expectError(clerk.users.replaceUserEmailAddress(user.id, { emailAddress: 'not an email' }), 422, 'form_param_format_invalid');
  await expectError(clerk.users.replaceUserPhoneNumber(user.id, { phoneNumber: '12' }), 422, 'form_param_format_invalid');
  const other = await clerk.users.createUser({ emailAddress: ['taken@example.com'], skipPasswordRequirement: true });
  await expectError(clerk.users.replaceUserEmailAddress(user.id, { emailAddress: 'taken@example.com' }), 422, 'form_identifier_exists');
  assert.ok(other.id);
});

await step('get sign-up', async () => {
  const su = await clerk.signUps.get(signUpId);
  assert.equal(su.id, signUpId);
  assert.equal(su.status, 'missing_requirements');
  assert.equal(su.emailAddress, 'pending@example.com');
  assert.equal(su.externalId, null);
  assert.equal(su.customAction, false);
});

await step('update sign-up', async () => {
  const su = await clerk.signUps.update({ signUpAttemptId: signUpId, externalId: 'crm-42', customAction: true });
  assert.equal(su.externalId, 'crm-42');
  assert.equal(su.customAction, true);
  const again = await clerk.signUps.get(signUpId);
  assert.equal(again.externalId, 'crm-42');
  assert.equal(again.customAction, true);
});

await step('sign-up errors', async () => {
  await expectError(clerk.signUps.get('sua_missing'), 404, 'resource_not_found');
  await expectError(clerk.signUps.update({ signUpAttemptId: 'sua_missing', customAction: true }), 404, 'resource_not_found');
});

console.log('ok');
