import test from 'node:test';
import assert from 'node:assert';
import { summarize } from '../src/metrics.js';

test('summarizes orders', () => {
  const figures = summarize([{ total: 10 }, { total: 25 }]);
  assert.deepStrictEqual(figures, { count: 2, revenue: 35, average: 17.5 });
});

test('an empty list has no average', () => {
  assert.deepStrictEqual(summarize([]), { count: 0, revenue: 0, average: 0 });
});
