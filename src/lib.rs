//! `triage`: a SOC analyst's first pass on security alerts, as one binary.
//!
//! See `README.md` for the user's view and `DESIGN.md` (shared) for the architecture.

pub mod anthropic;
pub mod secret;
