const test = require('node:test');
const assert = require('node:assert');
const users = require('../src/auth/users');

test('registers a user and verifies the password', () => {
  const user = users.register('ada@example.com', 'correct horse');
  assert.deepStrictEqual(users.verify('ada@example.com', 'correct horse'), user);
  assert.strictEqual(users.verify('ada@example.com', 'wrong password'), undefined);
});

test('refuses short passwords and taken emails', () => {
  assert.throws(() => users.register('bob@example.com', 'short'), /password too short/);
  users.register('eve@example.com', 'long enough');
  assert.throws(() => users.register('eve@example.com', 'long enough'), /email taken/);
});
