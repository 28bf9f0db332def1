// Drives the organizations and memberships APIs through @clerk/backend.
// Usage: node organizations.mjs <base URL> <secret key>
import assert from 'node:assert/strict';
import { clerk, step, expectError } from './lib.mjs';

let ada, bob, org;
await step('users', async () => {
  ada = await clerk.users.createUser({ emailAddress: ['node-ada@example.com'], firstName: 'Ada', skipPasswordRequirement: true });
  bob = await clerk.users.createUser({ emailAddress: ['node-bob@example.com'], skipPasswordRequirement: true });
});
await step('create organization', async () => {
  org = await clerk.organizations.createOrganization({ name: 'Node Org', createdBy: ada.id, publicMetadata: { tier: 1 }, maxAllowedMemberships: 5 });
  assert.equal(org.constructor.name, '_Organization');
  assert.equal(org.slug, 'node-org');
  assert.equal(org.createdBy, ada.id);
  assert.equal(org.maxAllowedMemberships, 5);
  assert.deepEqual(org.publicMetadata, { tier: 1 });
  await expectError(clerk.organizations.createOrganization({ name: 'Other', slug: 'node-org' }), 422, 'form_identifier_exists');
});
await step('get organization', async () => {
  const bySlug = await clerk.organizations.getOrganization({ slug: 'node-org', includeMembersCount: true });
  assert.equal(bySlug.id, org.id);
  assert.equal(bySlug.membersCount, 1);
  await expectError(clerk.organizations.getOrganization({ organizationId: 'org_nope' }), 404, 'resource_not_found');
});
await step('list organizations', async () => {
  await clerk.organizations.createOrganization({ name: 'Another Node Org' });
  const list = await clerk.organizations.getOrganizationList({ limit: 1, orderBy: '+name' });
  assert.equal(list.totalCount, 2);
  assert.equal(list.data[0].name, 'Another Node Org');
  const mine = await clerk.organizations.getOrganizationList({ userId: [ada.id] });
  assert.deepEqual(mine.data.map((o) => o.id), [org.id]);
});
await step('update organization and metadata', async () => {
  const up = await clerk.organizations.updateOrganization(org.id, { name: 'Node Org 2', adminDeleteEnabled: false });
  assert.equal(up.name, 'Node Org 2');
  assert.equal(up.adminDeleteEnabled, false);
  const merged = await clerk.organizations.updateOrganizationMetadata(org.id, { publicMetadata: { plan: 'b' }, privateMetadata: { k: 1 } });
  assert.deepEqual(merged.publicMetadata, { tier: 1, plan: 'b' });
  assert.deepEqual(merged.privateMetadata, { k: 1 });
  const replaced = await clerk.organizations.replaceOrganizationMetadata(org.id, { publicMetadata: { only: true } });
  assert.deepEqual(replaced.publicMetadata, { only: true });
  assert.deepEqual(replaced.privateMetadata, { k: 1 });
});
await step('memberships', async () => {
  const m = await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: bob.id, role: 'org:member' });
  assert.equal(m.constructor.name, '_OrganizationMembership');
  assert.equal(m.role, 'org:member');
  assert.equal(m.organization.id, org.id);
  assert.equal(m.publicUserData.userId, bob.id);
  assert.equal(m.publicUserData.identifier, 'node-bob@example.com');
  await expectError(clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: bob.id, role: 'org:member' }),
    400, 'already_a_member_in_organization');
  const list = await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id, orderBy: '+created_at' });
  assert.equal(list.totalCount, 2);
  assert.deepEqual(list.data.map((x) => x.role), ['org:admin', 'org:member']);
  const instance = await clerk.organizations.getInstanceOrganizationMembershipList({ limit: 10 });
  assert.equal(instance.totalCount, 2);
  const bobs = await clerk.users.getOrganizationMembershipList({ userId: bob.id });
  assert.equal(bobs.totalCount, 1);
  assert.equal(bobs.data[0].organization.id, org.id);
  const promoted = await clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: bob.id, role: 'org:admin' });
  assert.equal(promoted.role, 'org:admin');
  const md = await clerk.organizations.updateOrganizationMembershipMetadata({ organizationId: org.id, userId: bob.id, publicMetadata: { desk: 7 } });
  assert.deepEqual(md.publicMetadata, { desk: 7 });
  const removed = await clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: ada.id });
  assert.equal(removed.publicUserData.userId, ada.id);
  await expectError(clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: bob.id, role: 'org:member' }),
    400, 'organization_minimum_permissions_needed');
});
await step('invitations', async () => {
  const inv = await clerk.organizations.createOrganizationInvitation({ organizationId: org.id, emailAddress: 'node-carol@example.com',
    role: 'org:member', inviterUserId: bob.id, publicMetadata: { via: 'node' }, expiresInDays: 7 });
  assert.equal(inv.constructor.name, '_OrganizationInvitation');
  assert.equal(inv.status, 'pending');
  assert.equal(inv.roleName, 'Member');
  assert.deepEqual(inv.publicMetadata, { via: 'node' });
  assert.match(inv.url, /\/v1\/tickets\/accept\?ticket=/);
  assert.equal(Math.round((inv.expiresAt - inv.createdAt) / 86400000), 7);
  await expectError(clerk.organizations.createOrganizationInvitation({ organizationId: org.id, emailAddress: 'node-carol@example.com', role: 'org:member' }),
    400, 'duplicate_record');
  const bulk = await clerk.organizations.createOrganizationInvitationBulk(org.id, [
    { emailAddress: 'node-dan@example.com', role: 'org:member' }, { emailAddress: 'node-eve@example.com', role: 'org:admin' }]);
  assert.equal(bulk.data.length, 2);
  assert.equal(bulk.data[1].role, 'org:admin');
  const list = await clerk.organizations.getOrganizationInvitationList({ organizationId: org.id, status: ['pending'] });
  assert.equal(list.totalCount, 3);
  const got = await clerk.organizations.getOrganizationInvitation({ organizationId: org.id, invitationId: inv.id });
  assert.equal(got.emailAddress, 'node-carol@example.com');
  const revoked = await clerk.organizations.revokeOrganizationInvitation({ organizationId: org.id, invitationId: inv.id, requestingUserId: bob.id });
  assert.equal(revoked.status, 'revoked');
  await expectError(clerk.organizations.getOrganizationInvitation({ organizationId: org.id, invitationId: 'orginv_nope' }), 404, 'resource_not_found');
});
await step('roles and permissions', async () => {
  const perm = await clerk.organizationPermissions.createOrganizationPermission({ name: 'Node read', key: 'org:node:read' });
  assert.equal(perm.key, 'org:node:read');
  const perms = await clerk.organizationPermissions.getOrganizationPermissionList({ query: 'node' });
  assert.deepEqual(perms.data.map((p) => p.id), [perm.id]);
  const role = await clerk.organizationRoles.createOrganizationRole({ name: 'Node role', key: 'org:node_role', permissions: [perm.id] });
  assert.equal(role.constructor.name, '_Role');
  assert.deepEqual(role.permissions.map((p) => p.key), ['org:node:read']);
  const updated = await clerk.organizationRoles.updateOrganizationRole({ organizationRoleId: role.id, name: 'Node role 2' });
  assert.equal(updated.name, 'Node role 2');
  const bare = await clerk.organizationRoles.removePermissionFromOrganizationRole({ organizationRoleId: role.id, permissionId: perm.id });
  assert.equal(bare.permissions.length, 0);
  const back = await clerk.organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: role.id, permissionId: perm.id });
  assert.equal(back.permissions.length, 1);
  const list = await clerk.organizationRoles.getOrganizationRoleList({ orderBy: '+created_at' });
  assert.deepEqual(list.data.map((r) => r.key), ['org:admin', 'org:member', 'org:node_role']);
  const del = await clerk.organizationRoles.deleteOrganizationRole(role.id);
  assert.equal(del.deleted, true);
  await clerk.organizationPermissions.deleteOrganizationPermission(perm.id);
  await expectError(clerk.organizationPermissions.getOrganizationPermission(perm.id), 404, 'resource_not_found');
});
await step('users by organization', async () => {
  const users = await clerk.users.getUserList({ organizationId: [org.id] });
  assert.deepEqual(users.data.map((u) => u.id), [bob.id]);
});
await step('delete organization', async () => {
  const del = await clerk.organizations.deleteOrganization(org.id);
  assert.equal(del.id, org.id);
  assert.equal(del.deleted, true);
  await expectError(clerk.organizations.deleteOrganization(org.id), 404, 'resource_not_found');
});
console.log('ok');
