// User store with salted scrypt password hashes.
const crypto = require('node:crypto');

const users = new Map();
let nextId = 1;

function hash(password, salt) {
  return crypto.scryptSync(password, salt, 32).toString('hex');
}

function register(email, password) {
  if (typeof password !== 'string' || password.length < 8) throw new Error('password too short');
  if ([...users.values()].some((u) => u.email === email)) throw new Error('email taken');
  const salt = crypto.randomBytes(16).toString('hex');
  const user = { id: nextId++, email, salt, passwordHash: hash(password, salt) };
  users.set(user.id, user);
  return { id: user.id, email };
}

function verify(email, password) {
  const user = [...users.values()].find((u) => u.email === email);
  if (!user) return undefined;
  const ok = crypto.timingSafeEqual(Buffer.from(user.passwordHash, 'hex'), Buffer.from(hash(password, user.salt), 'hex'));
  return ok ? { id: user.id, email } : undefined;
}

module.exports = { register, verify };
