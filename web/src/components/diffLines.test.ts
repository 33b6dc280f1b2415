import { expect, test } from 'vitest'
import { diffLineKind } from './diffLines'

test('each line of a unified diff has its kind', () => {
  const diff = ['--- a/src/n.txt', '+++ b/src/n.txt', '@@ -2,7 +2,7 @@', ' four', '-five', '+FIVE']
  expect(diff.map(diffLineKind)).toEqual(['file', 'file', 'hunk', 'context', 'removed', 'added'])
})
