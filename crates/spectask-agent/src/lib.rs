//! spectask's agent runtime over ACP.
pub mod profiles;
