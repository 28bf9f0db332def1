// Drives the redirect URLs, domains and proxy checks APIs through
// @clerk/backend. Usage:
//   node redirects.mjs <base URL> <secret key>
// The instance must allow private addresses (the proxy check calls the
// base URL, on loopback).
import assert from 'node:assert/strict';
import { clerk, step, expectError } from './lib.mjs';

const [apiUrl] = process.argv.slice(2);
let ru;
await step('create redirect url', async () => {
  ru = await clerk.redirectUrls.createRedirectUrl({ url: 'myapp://oauth-callback' });
  assert.equal(ru.constructor.name, '_RedirectUrl');
  assert.match(ru.id, /^ru_/);
  assert.equal(ru.url, 'myapp://oauth-callback');
  assert.ok(ru.createdAt > 0);
});
await step('list and get', async () => {
  const list = await clerk.redirectUrls.getRedirectUrlList();
  assert.equal(list.totalCount, 1);
  assert.equal(list.data[0].id, ru.id);
  const got = await clerk.redirectUrls.getRedirectUrl(ru.id);
  assert.equal(got.url, ru.url);
});
await step('refused urls', async () => {
  await expectError(clerk.redirectUrls.createRedirectUrl({ url: 'javascript:alert(1)' }), 422, 'form_param_format_invalid');
  await expectError(clerk.redirectUrls.createRedirectUrl({ url: 'myapp://oauth-callback' }), 422, 'duplicate_record');
});
await step('delete', async () => {
  await clerk.redirectUrls.deleteRedirectUrl(ru.id);
  await expectError(clerk.redirectUrls.getRedirectUrl(ru.id), 404, 'resource_not_found');
  await expectError(clerk.redirectUrls.deleteRedirectUrl(ru.id), 404, 'resource_not_found');
});

let primary;
await step('domains', async () => {
  const list = await clerk.domains.list();
  assert.equal(list.totalCount, 1);
  primary = list.data[0];
  assert.equal(primary.constructor.name, '_Domain');
  assert.match(primary.id, /^dmn_/);
  assert.equal(primary.isSatellite, false);
  assert.equal(primary.frontendApiUrl, apiUrl);
  assert.equal(primary.name, new URL(apiUrl).hostname);
  await expectError(clerk.domains.add({ name: 'sat.example.com', is_satellite: true }), 422, 'satellite_domains_not_supported');
  await expectError(clerk.domains.delete(primary.id), 400, 'primary_domain_deletion_not_allowed');
  await expectError(clerk.domains.update({ domainId: 'dmn_nope', name: 'x.example.com' }), 404, 'resource_not_found');
});
await step('proxy check', async () => {
  const c = await clerk.proxyChecks.verify({ domainId: primary.id, proxyUrl: apiUrl });
  assert.equal(c.constructor.name, '_ProxyCheck');
  assert.equal(c.successful, true);
  assert.equal(c.domainId, primary.id);
  assert.equal(c.proxyUrl, apiUrl);
  await expectError(clerk.proxyChecks.verify({ domainId: 'dmn_nope', proxyUrl: apiUrl }), 404, 'resource_not_found');
  await expectError(clerk.proxyChecks.verify({ domainId: primary.id, proxyUrl: 'ftp://x.example' }), 422, 'form_param_format_invalid');
});
console.log('ok');
