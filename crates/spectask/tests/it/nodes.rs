//! Two nodes on one PostgreSQL database and one filesystem: `kill -9` of the node whose agent works
//! on a task; the other node takes the task over once the leases expire and completes it.

use std::time::Duration;

use crate::crash_restart::{
    SLOW_CODER, assert_fsck_clean, assert_implemented_once_and_finish, assert_no_agent_left,
    create_and_approve, setup, wait_for, wait_mid_session,
};
use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::wait_until;
use crate::support::{Server, git_repo, parent_of, processes_with};

#[test]
fn the_other_node_continues_a_task_after_kill_9_of_its_node() {
    let url = crate::support::postgres_url();
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let (data, script) = setup(dir.path(), &llm, SLOW_CODER, "");
    let a = Server::start_node(&data, Some(&url), "node-a");
    let b = Server::start_node(&data, Some(&url), "node-b");

    let (id, handle) = create_and_approve(&a, &repo);
    wait_mid_session(&a, &id);
    // The task's agent instance runs on the node holding the task's lease: a child of that server.
    let needle = script.display().to_string();
    let mut holders = Vec::new();
    wait_until("one node runs the task's agent", || {
        holders = processes_with(&needle).into_iter().filter_map(|(pid, _)| parent_of(pid)).collect();
        holders.sort_unstable();
        holders.dedup();
        !holders.is_empty()
    });
    assert_eq!(holders.len(), 1, "one agent instance per task, on one node: {holders:?}");
    let (holder, other) = match holders[0] {
        pid if pid == a.pid() => (a, b),
        pid if pid == b.pid() => (b, a),
        pid => panic!("the agent's parent {pid} is neither node ({} or {})", a.pid(), b.pid()),
    };

    holder.kill9();
    wait_for(&other, &id, "implementation_review", Duration::from_secs(60));
    // Every agent process now belongs to the surviving node.
    for (pid, cmdline) in processes_with(&needle) {
        let parent = parent_of(pid);
        assert!(parent.is_none() || parent == Some(other.pid()), "{pid} {cmdline} is not the survivor's");
    }
    assert_implemented_once_and_finish(&other, &repo, &id, &handle);
    other.stop();
    assert_fsck_clean(&repo);
    assert_no_agent_left(&script);
}
