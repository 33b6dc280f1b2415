//! The approved plan of a spec task, read and parsed once per spec version on this node rather than
//! at every scheduling pass and commit step (a spec version's documents never change).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use spectask_core::{SpecTask, SpecTaskId, TaskKind};
use spectask_spec::Plan;
use spectask_store::Store;

use crate::dispatch::JobError;

/// Plans kept at most; past it the cache starts afresh (a node drives a few tasks at a time).
const KEPT: usize = 64;

/// Parsed plans by task and spec version.
#[derive(Debug, Default)]
pub(crate) struct Plans(Mutex<HashMap<(SpecTaskId, u32), Arc<Plan>>>);

/// The plan of `task`'s current spec version; `None` for kinds without a plan.
pub(crate) async fn approved(
    store: &Store,
    plans: &Plans,
    task: &SpecTask,
) -> Result<Option<Arc<Plan>>, JobError> {
    if task.kind != TaskKind::Spec {
        return Ok(None);
    }
    let key = (task.id, task.spec_version);
    if let Some(plan) = plans.0.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
        return Ok(Some(plan.clone()));
    }
    let version = store.spec_version(task.id, Some(task.spec_version)).await?;
    let plan = Arc::new(Plan::parse(&version.documents.tasks));
    let mut plans = plans.0.lock().unwrap_or_else(PoisonError::into_inner);
    if plans.len() >= KEPT {
        plans.clear();
    }
    plans.insert(key, plan.clone());
    Ok(Some(plan))
}
