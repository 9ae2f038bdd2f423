//! The samplers: one file each, with its parameters, its definition and its tests.

pub mod min_p;
pub mod temperature;
pub mod top_k;
pub mod top_p;
