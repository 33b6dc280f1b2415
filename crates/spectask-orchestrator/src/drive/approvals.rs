//! Permission approvals across nodes: the requests this node's agents hold are recorded in the
//! store (any node lists and answers them there), and answers given on any node are carried to the
//! agent here, whenever the orchestrator wakes (an answer wakes every node's orchestrator).

use spectask_agent::events::{DecidedBy, Decision, PermissionRequest};
use spectask_core::WorkSession;
use spectask_store::{ApprovalOption, NewApproval};

use crate::ctx::Ctx;

/// Records a request an agent of this node holds open for a person.
pub(crate) async fn held(ctx: &Ctx, session: &WorkSession, approval_id: &str, request: &PermissionRequest) {
    // Gone already (answered or cancelled before it was recorded): nothing waits.
    let Some(pending) = ctx.runtime.broker().find(approval_id) else { return };
    let new = NewApproval {
        id: approval_id.to_owned(),
        spec_task_id: session.spec_task_id,
        work_session_id: session.id,
        acp_session_id: pending.session_id,
        node: ctx.config.node.clone(),
        tool_call_id: request.tool_call.id.clone(),
        title: request.tool_call.title.clone(),
        kind: request.tool_call.kind_name(),
        locations: request.tool_call.locations.iter().map(|p| p.display().to_string()).collect(),
        options: request
            .options
            .iter()
            .map(|o| ApprovalOption {
                option_id: o.option_id.clone(),
                name: o.name.clone(),
                kind: o.kind.clone(),
            })
            .collect(),
    };
    if let Err(err) = ctx.store.hold_approval(&new).await {
        tracing::warn!(%err, approval = approval_id, "cannot record a permission request");
    }
}

/// Records how the agent runtime ended a held request: a cancelled one is withdrawn; an answer
/// given on this node's broker directly is stored like one given through the store.
pub(crate) async fn decided(ctx: &Ctx, approval_id: &str, decision: &Decision, by: DecidedBy) {
    let stored = match decision {
        Decision::Cancelled => ctx.store.withdraw_approval(approval_id).await,
        Decision::Allowed { option_id } | Decision::Rejected { option_id } => {
            let by = format!("{by:?}").to_lowercase();
            ctx.store.answer_approval(approval_id, option_id, &by).await.map(drop)
        }
    };
    if let Err(err) = stored {
        tracing::warn!(%err, approval = approval_id, "cannot record a permission decision");
    }
}

/// Gives this node's agents the answers people gave (on any node) to the requests they hold.
pub(crate) async fn deliver(ctx: &Ctx) {
    let broker = ctx.runtime.broker();
    let held: Vec<String> = broker.list().into_iter().map(|a| a.id).collect();
    if held.is_empty() {
        return;
    }
    let answers = match ctx.store.answers_to(&held).await {
        Ok(answers) => answers,
        Err(err) => {
            tracing::warn!(%err, "cannot read the answers to pending approvals");
            return;
        }
    };
    for (id, option_id) in answers {
        if let Err(err) = broker.resolve(&id, &option_id).await {
            tracing::warn!(%err, approval = %id, "cannot give an agent its answer");
        }
    }
}
