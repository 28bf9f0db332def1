// Shared by the SDK checks: the client from the command line, and steps
// that exit non-zero, naming the step, on the first unexpected result.
import assert from 'node:assert/strict';
import { createClerkClient } from '@clerk/backend';

const [apiUrl, secretKey] = process.argv.slice(2);
export const clerk = createClerkClient({ secretKey, apiUrl });

export const step = async (name, fn) => {
  try {
    await fn();
  } catch (e) {
    console.error(`step "${name}" failed:`, e?.errors ?? e);
    process.exit(1);
  }
};

export const expectError = async (promise, status, code) => {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.status, status);
    assert.equal(e.errors[0].code, code);
    return e;
  }
  assert.fail(`expected ${status} ${code}`);
};
