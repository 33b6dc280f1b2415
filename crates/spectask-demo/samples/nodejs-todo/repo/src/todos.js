// In-memory todo store.
const todos = new Map();
let nextId = 1;

function list() {
  return [...todos.values()];
}

function create(title) {
  if (typeof title !== 'string' || title.trim() === '') {
    throw new Error('title is required');
  }
  const todo = { id: nextId++, title: title.trim(), done: false };
  todos.set(todo.id, todo);
  return todo;
}

function complete(id) {
  const todo = todos.get(id);
  if (!todo) return undefined;
  todo.done = true;
  return todo;
}

function remove(id) {
  return todos.delete(id);
}

module.exports = { list, create, complete, remove };
