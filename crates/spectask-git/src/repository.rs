//! A repository as spectask knows it. `inspect` finds one and learns its root, default branch and
//! head; `registration` registers it and gives the [`Repo`](registration::Repo) handle every other
//! operation hangs off. `sample` makes a new repository from a set of files, for the demo; `memo`
//! keeps what a handle read at a commit.

pub(crate) mod inspect;
pub(crate) mod memo;
pub(crate) mod registration;
pub(crate) mod sample;
