//! Checks: what a step waits for, evaluated over a snapshot of the cluster
//! (pure) or by asking the API server (access, request, token).

pub(crate) mod fields;
pub(crate) mod local;
pub(crate) mod outcome;
pub(crate) mod pod_trouble;
pub mod rbac;
pub mod remote;
pub(crate) mod select;
pub(crate) mod snapshot;

pub use outcome::Outcome;
pub use snapshot::Snapshot;
