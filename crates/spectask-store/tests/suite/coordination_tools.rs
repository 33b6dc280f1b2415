//! What the coordination tools of work sessions store: session credentials.

use spectask_store::{SESSION_CREDENTIAL_PREFIX, Store};

use crate::planning::new_session;
use crate::{both_backends, new_task, repo};

both_backends!(a_session_credential_names_its_session_until_a_new_one_replaces_it);

async fn a_session_credential_names_its_session_until_a_new_one_replaces_it(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let a = store.create_work_session(new_session(task.id, "a")).await.unwrap();
    let b = store.create_work_session(new_session(task.id, "b")).await.unwrap();
    let first = store.issue_session_credential(a.id).await.unwrap();
    let of_b = store.issue_session_credential(b.id).await.unwrap();
    assert!(first.starts_with(SESSION_CREDENTIAL_PREFIX) && first.len() == 4 + 64, "{first}");
    assert_ne!(first, of_b);
    assert_eq!(store.session_of_credential(&first).await.unwrap().map(|s| s.id), Some(a.id));
    assert_eq!(store.session_of_credential(&of_b).await.unwrap().map(|s| s.id), Some(b.id));
    // A new credential for the session (its thread was opened again) replaces the old one.
    let second = store.issue_session_credential(a.id).await.unwrap();
    assert_eq!(store.session_of_credential(&first).await.unwrap(), None);
    assert_eq!(store.session_of_credential(&second).await.unwrap().map(|s| s.id), Some(a.id));
    // Near misses name nobody: another prefix, a changed character, the stored hash itself.
    let flipped = format!("{}0", &second[..second.len() - 1]);
    for wrong in ["", "stc_", &second.replace("stc_", "stx_"), &flipped] {
        if wrong != second {
            assert_eq!(store.session_of_credential(wrong).await.unwrap(), None, "{wrong:?}");
        }
    }
}
