//! (stub: to be written)
pub struct Builder;
