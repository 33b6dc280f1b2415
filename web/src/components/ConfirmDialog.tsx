import { useId } from 'react'
import { useModal } from './useModal'

/**
 * A modal question before an action that cannot be taken back: the confirming button calls
 * `onConfirm`; the dismissing one (focused first, the safe answer), Escape and either answer close it through
 * `onClose`. A live update never closes it: when the action no longer applies, `unavailable` says why
 * and the confirming button is disabled.
 */
export function ConfirmDialog(props: {
  title: string
  message: string
  confirm: string
  /** The dismissing button's label (`Cancel` unless that would read like the action). */
  dismiss?: string
  /** Why the action cannot be taken now (the state moved while the dialog was open). */
  unavailable?: string
  onConfirm: () => void
  onClose: () => void
}) {
  const ref = useModal(props.onClose)
  const id = useId()
  return (
    <dialog ref={ref} className="dialog confirm-dialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-message`}>
      <form method="dialog" onSubmit={props.onConfirm}>
        <h2 id={`${id}-title`}>{props.title}</h2>
        <p id={`${id}-message`}>{props.message}</p>
        {props.unavailable && (
          <p role="status" className="unavailable">
            {props.unavailable}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={() => ref.current?.close()}>
            {props.dismiss ?? 'Cancel'}
          </button>
          <button type="submit" className="danger" disabled={!!props.unavailable}>
            {props.confirm}
          </button>
        </div>
      </form>
    </dialog>
  )
}
