//! nlf
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod json;
mod limits;
mod scope;

pub use error::{Error, Limit};
pub use limits::Limits;
pub use scope::Scope;
