//! The approved spec of a spec task, its documents and its plan parsed, read once per spec version
//! on this node rather than at every scheduling pass, commit step and prompt (a spec version's
//! documents never change).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use spectask_core::{SpecDocuments, SpecTask, SpecTaskId, TaskKind};
use spectask_spec::Plan;
use spectask_store::Store;

use crate::job_error::JobError;

/// Specs kept at most; past it the cache starts afresh (a node drives a few tasks at a time).
const KEPT: usize = 64;

/// An approved spec: its documents, and its plan parsed.
#[derive(Debug)]
struct ApprovedSpec {
    documents: Arc<SpecDocuments>,
    plan: Arc<Plan>,
}

/// Approved specs by task and spec version.
#[derive(Debug, Default)]
pub(crate) struct Plans(Mutex<HashMap<(SpecTaskId, u32), Arc<ApprovedSpec>>>);

/// The plan of `task`'s current spec version; `None` for kinds without a plan.
pub(crate) async fn approved(
    store: &Store,
    plans: &Plans,
    task: &SpecTask,
) -> Result<Option<Arc<Plan>>, JobError> {
    Ok(spec(store, plans, task).await?.map(|spec| spec.plan.clone()))
}

/// The documents of `task`'s current spec version; `None` for kinds without a spec.
pub(crate) async fn documents(
    store: &Store,
    plans: &Plans,
    task: &SpecTask,
) -> Result<Option<Arc<SpecDocuments>>, JobError> {
    Ok(spec(store, plans, task).await?.map(|spec| spec.documents.clone()))
}

async fn spec(store: &Store, plans: &Plans, task: &SpecTask) -> Result<Option<Arc<ApprovedSpec>>, JobError> {
    if task.kind != TaskKind::Spec {
        return Ok(None);
    }
    let key = (task.id, task.spec_version);
    if let Some(spec) = plans.0.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
        return Ok(Some(spec.clone()));
    }
    let version = store.spec_version(task.id, Some(task.spec_version)).await?;
    let plan = Arc::new(Plan::parse(&version.documents.tasks));
    let spec = Arc::new(ApprovedSpec { documents: Arc::new(version.documents), plan });
    let mut plans = plans.0.lock().unwrap_or_else(PoisonError::into_inner);
    if plans.len() >= KEPT {
        plans.clear();
    }
    plans.insert(key, spec.clone());
    Ok(Some(spec))
}
