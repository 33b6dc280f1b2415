const express = require('express');
const todos = require('./todos');
const auth = require('./auth/routes');
const requireToken = require('./auth/middleware');

const app = express();
app.use(express.json());
app.use('/auth', auth);
app.use('/todos', requireToken);

app.get('/todos', (req, res) => res.json(todos.list().filter((t) => t.userId === req.userId)));

app.post('/todos', (req, res) => {
  try {
    const todo = todos.create(req.body.title);
    todo.userId = req.userId;
    res.status(201).json(todo);
  } catch (err) {
    res.status(400).json({ error: err.message });
  }
});

app.post('/todos/:id/complete', (req, res) => {
  const todo = todos.complete(Number(req.params.id));
  if (!todo || todo.userId !== req.userId) return res.status(404).json({ error: 'no such todo' });
  res.json(todo);
});

app.delete('/todos/:id', (req, res) => {
  if (!todos.remove(Number(req.params.id))) return res.status(404).json({ error: 'no such todo' });
  res.status(204).end();
});

if (require.main === module) {
  app.listen(process.env.PORT || 3000);
}

module.exports = app;
