/** A moment shown relative to now ("3 min ago"), kept current as time passes, with the exact time on hover. */
import { relativeTime } from './relativeTime'
import { useNow } from './useNow'

export function When({ at, prefix = '' }: { at: string; prefix?: string }) {
  const now = useNow()
  const exact = new Date(at)
  const time = (
    <time dateTime={at} title={exact.toLocaleString()}>
      {relativeTime(exact, new Date(now))}
    </time>
  )
  return prefix ? (
    <span>
      {prefix}
      {time}
    </span>
  ) : (
    time
  )
}
