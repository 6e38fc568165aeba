//! The `nlf` command-line tool.
fn main() {}
