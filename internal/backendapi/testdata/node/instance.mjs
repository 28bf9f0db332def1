// Drives the instance API through @clerk/backend.
// Usage: node instance.mjs <base URL> <secret key>
import assert from 'node:assert/strict';
import { clerk, step, expectError } from './lib.mjs';

await step('get instance', async () => {
  const inst = await clerk.instance.get();
  assert.match(inst.id, /^ins_/);
  assert.equal(inst.environmentType, 'development');
  assert.deepEqual(inst.allowedOrigins, []);
});
await step('update instance', async () => {
  const res = await clerk.instance.update({
    supportEmail: 'help@example.com', allowedOrigins: ['https://app.example.com'],
    testMode: true, hibp: true, urlBasedSessionSyncing: true,
  });
  assert.ok(res === undefined || res === null || Object.keys(res).length === 0);
  const inst = await clerk.instance.get();
  assert.deepEqual(inst.allowedOrigins, ['https://app.example.com']);
  await expectError(clerk.instance.update({ supportEmail: 'nope' }), 422, 'form_param_format_invalid');
  await expectError(clerk.instance.update({ allowedOrigins: ['not an origin'] }), 422, 'form_param_format_invalid');
});
await step('restrictions', async () => {
  const r = await clerk.instance.updateRestrictions({ blockEmailSubaddresses: true, blockDisposableEmailDomains: true, allowlist: true });
  assert.equal(r.constructor.name, '_InstanceRestrictions');
  assert.equal(r.allowlist, true);
  assert.equal(r.blocklist, true);
  assert.equal(r.blockEmailSubaddresses, true);
  assert.equal(r.blockDisposableEmailDomains, true);
  assert.equal(r.ignoreDotsForGmailAddresses, false);
  const off = await clerk.instance.updateRestrictions({ allowlist: false, blockEmailSubaddresses: false });
  assert.equal(off.allowlist, false);
  assert.equal(off.blockEmailSubaddresses, false);
  assert.equal(off.blockDisposableEmailDomains, true);
  await expectError(clerk.instance.updateRestrictions({ ignoreDotsForGmailAddresses: true }), 422, 'form_param_value_invalid');
});
await step('organization settings', async () => {
  const s = await clerk.instance.getOrganizationSettings();
  assert.equal(s.constructor.name, '_OrganizationSettings');
  assert.equal(s.enabled, false);
  assert.equal(s.creatorRole, 'org:admin');
  const u = await clerk.instance.updateOrganizationSettings({ enabled: true, maxAllowedMemberships: 3, creatorRoleId: 'org:admin', adminDeleteEnabled: false });
  assert.equal(u.enabled, true);
  assert.equal(u.maxAllowedMemberships, 3);
  assert.equal(u.adminDeleteEnabled, false);
  assert.equal(u.domainsDefaultRole, 'org:member');
  assert.equal(u.slugDisabled, false);
  await expectError(clerk.instance.updateOrganizationSettings({ creatorRoleId: 'role_nope' }), 404, 'resource_not_found');
  await expectError(clerk.instance.updateOrganizationSettings({ maxAllowedMemberships: -1 }), 422, 'form_param_format_invalid');
});
console.log('ok');
