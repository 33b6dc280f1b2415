/** A failure or refusal a person sees: a sentence in words, styled where the eye is, with what the
 * server said in a "Details" disclosure when it differs (see words.ts). */
import { CircleAlert } from 'lucide-react'
import type { SpecTaskStatus } from '../api/client'
import { errorWords, failureWords } from '../words'

/** An error a request ended with; `doing` names what could not be done ("load the task"). */
export function Problem({ error, doing, inline = false }: { error: Error; doing?: string; inline?: boolean }) {
  const { sentence, detail } = errorWords(error)
  const Box = inline ? 'span' : 'div'
  return (
    <Box role="alert" className={`problem${inline ? ' inline' : ''}`}>
      <CircleAlert className="icon" size={16} aria-hidden="true" />
      <span className="problem-text">
        {doing ? `Cannot ${doing}: ` : ''}
        {doing ? sentence[0].toLowerCase() + sentence.slice(1) : sentence}
        {detail && <Details text={detail} />}
      </span>
    </Box>
  )
}

/** A task's failure: where it failed, why in words, and what to do; the reason as recorded in Details. */
export function FailureNote({
  failure,
  short = false,
}: {
  failure: { from: SpecTaskStatus; reason: string }
  /** On a card: the heading and sentence, no advice. */
  short?: boolean
}) {
  const { heading, sentence, recorded } = failureWords(failure)
  return (
    <div className={`problem failure-note${short ? ' short' : ''}`} data-testid="failure">
      <CircleAlert className="icon" size={16} aria-hidden="true" />
      <span className="problem-text">
        <strong>{heading}.</strong> {sentence}
        {!short && (
          <>
            {' '}
            {failure.from === 'done'
              ? 'Retry merge tries the merge again once what stopped it is fixed.'
              : 'Retry takes it up again from there; Cancel task ends it.'}
            {recorded !== sentence && <Details text={recorded} />}
          </>
        )}
      </span>
    </div>
  )
}

function Details({ text }: { text: string }) {
  return (
    <details className="problem-details">
      <summary>Details</summary>
      <code>{text}</code>
    </details>
  )
}
