//! caadam-nn: layers that know their structure, a flat parameter store, checkpoints.
mod connection;
mod layout;

pub use connection::{ConnectionInfo, LayerInfo};
pub use layout::{ParamKind, ParamLayout, Segment};
