//! The forge crate's integration tests, one binary: the forge clients against the fake forges of
//! `tools/fake-forge` (`fakes`). A module is selected by its path, e.g. `cargo test --test it
//! fakes::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fakes;
