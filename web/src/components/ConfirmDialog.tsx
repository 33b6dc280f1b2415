import { useId } from 'react'
import { useModal } from './useModal'

/**
 * A modal question before an action that cannot be taken back: the confirming button calls
 * `onConfirm`; the dismissing one (focused first, the safe answer), Escape and either answer close it through
 * `onClose`.
 */
export function ConfirmDialog(props: {
  title: string
  message: string
  confirm: string
  /** The dismissing button's label (`Cancel` unless that would read like the action). */
  dismiss?: string
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
        <div className="actions">
          <button type="button" onClick={() => ref.current?.close()}>
            {props.dismiss ?? 'Cancel'}
          </button>
          <button type="submit" className="danger">
            {props.confirm}
          </button>
        </div>
      </form>
    </dialog>
  )
}
