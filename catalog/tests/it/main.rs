//! herald-catalog's tests: the example repo's pages as snapshots, bad input, and the site in a
//! real browser.

mod pages;
