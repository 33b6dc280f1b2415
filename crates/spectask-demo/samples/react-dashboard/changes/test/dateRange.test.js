import test from 'node:test';
import assert from 'node:assert';
import { inRange } from '../src/dateRange.js';

const orders = [
  { id: 1, total: 10, placedAt: '2024-06-28' },
  { id: 2, total: 20, placedAt: '2024-06-01' },
  { id: 3, total: 30, placedAt: '2024-03-01' },
];
const today = new Date('2024-06-30');

test('keeps the orders inside the range', () => {
  assert.deepStrictEqual(inRange(orders, 7, today).map((o) => o.id), [1]);
  assert.deepStrictEqual(inRange(orders, 30, today).map((o) => o.id), [1, 2]);
  assert.deepStrictEqual(inRange(orders, 90, today).map((o) => o.id), [1, 2]);
});

test('refuses a range nobody can pick', () => {
  assert.throws(() => inRange(orders, 12, today), /no range of 12 days/);
});
