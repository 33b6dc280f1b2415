/** A moment shown relative to now ("3 min ago"), with the exact time on hover. */
import { relativeTime } from './relativeTime'

export function When({ at, prefix = '' }: { at: string; prefix?: string }) {
  const exact = new Date(at)
  return (
    <time dateTime={at} title={exact.toLocaleString()}>
      {prefix}
      {relativeTime(exact, new Date())}
    </time>
  )
}
