//! Integration tests: one binary (link time), modules per area. Everything runs offline
//! against fakes on 127.0.0.1.

mod anthropic;
mod cli;
mod cron;
mod demo;
mod faults;
mod lake;
mod mcp;
mod model;
mod props;
mod run;
mod support;
