//! herald-catalog's tests: the example repo's pages as snapshots, escaping, determinism, bad
//! input, a generated repo of moderate size, and the site in a real browser.

mod bad_input;
mod browser;
mod common;
mod pages;
mod record;
