//! The small languages a lesson is written in and the tutor checks with,
//! parsed without a cluster: JSON paths (`status.conditions[type=Ready]`),
//! label selectors (`app=web,tier in (a,b)`), patterns, and the method and
//! path of a request. The lesson loader checks a lesson with them; the
//! checks and the cluster code run them. They name no other module.

pub mod path;
pub mod pattern;
pub mod request_line;
pub mod selector;
