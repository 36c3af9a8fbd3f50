//! Integration tests.

mod anthropic;
