const express = require('express');
const todos = require('./todos');

const app = express();
app.use(express.json());

app.get('/todos', (req, res) => res.json(todos.list()));

app.post('/todos', (req, res) => {
  try {
    res.status(201).json(todos.create(req.body.title));
  } catch (err) {
    res.status(400).json({ error: err.message });
  }
});

app.post('/todos/:id/complete', (req, res) => {
  const todo = todos.complete(Number(req.params.id));
  if (!todo) return res.status(404).json({ error: 'no such todo' });
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
