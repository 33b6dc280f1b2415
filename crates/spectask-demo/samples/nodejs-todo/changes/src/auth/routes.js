// POST /auth/register and POST /auth/login.
const express = require('express');
const users = require('./users');
const tokens = require('./tokens');

const router = express.Router();

router.post('/register', (req, res) => {
  try {
    res.status(201).json(users.register(req.body.email, req.body.password));
  } catch (err) {
    res.status(err.message === 'email taken' ? 409 : 400).json({ error: err.message });
  }
});

router.post('/login', (req, res) => {
  const user = users.verify(req.body.email, req.body.password);
  if (!user) return res.status(401).json({ error: 'wrong email or password' });
  res.json({ token: tokens.issue(user.id) });
});

module.exports = router;
