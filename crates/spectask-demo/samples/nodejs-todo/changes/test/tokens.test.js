const test = require('node:test');
const assert = require('node:assert');
const tokens = require('../src/auth/tokens');

test('a token names its user until it expires', () => {
  const now = Date.now();
  const token = tokens.issue(7, now);
  assert.strictEqual(tokens.check(token, now), 7);
  assert.strictEqual(tokens.check(token, now + 3601 * 1000), undefined);
});

test('a tampered token is refused', () => {
  const token = tokens.issue(7);
  assert.strictEqual(tokens.check(`${token}x`), undefined);
});
