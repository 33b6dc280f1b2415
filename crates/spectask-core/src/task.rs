//! The SpecTask and what belongs to it alone: its spec versions and the reviews of them, the tasks
//! it waits for, the forge issue it came from and its pull request; and the words for what it (or a
//! session of it) waits for ([`attention`]). Its status changes only
//! through [`lifecycle`](crate::lifecycle).

pub mod attention;
pub mod issue;
pub mod prerequisite;
pub mod pull_request;
pub mod spec_review;
pub mod spec_task;
pub mod spec_version;
