const test = require('node:test');
const assert = require('node:assert');
const todos = require('../src/todos');

test('creates and completes a todo', () => {
  const todo = todos.create('write tests');
  assert.strictEqual(todo.done, false);
  assert.strictEqual(todos.complete(todo.id).done, true);
});

test('rejects an empty title', () => {
  assert.throws(() => todos.create('  '), /title is required/);
});
