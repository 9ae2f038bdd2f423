//! Slice math over `&[f32]`: the crate's `exp`, weights and masses, softmax and its relatives,
//! entropy, the argmax, and the input contract's validating pass.

mod argmax;
mod entropy;
pub mod exp;
pub(crate) mod moments;
pub(crate) mod scan;
mod softmax;
pub mod weight;

pub use argmax::argmax;
pub use entropy::{entropy, entropy_of_logits};
pub use scan::MAX_LOGITS;
pub use softmax::{
    log_softmax, log_softmax_into, logsumexp, softmax, softmax_into, softmax_with_temperature,
    softmax_with_temperature_into,
};
