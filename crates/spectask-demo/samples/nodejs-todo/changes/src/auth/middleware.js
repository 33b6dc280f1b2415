// Answers 401 unless the request carries a valid bearer token; sets req.userId.
const tokens = require('./tokens');

module.exports = function requireToken(req, res, next) {
  const header = req.get('authorization') || '';
  const userId = tokens.check(header.replace(/^Bearer /, ''));
  if (!userId) return res.status(401).json({ error: 'a valid token is required' });
  req.userId = userId;
  next();
};
