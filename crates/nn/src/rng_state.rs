//! Saving and restoring where a model's random generators are (Dropout's masks), so that a
//! run resumed from a checkpoint draws exactly the masks the uninterrupted run would have.
//!
//! A checkpoint holds the parameters ([`crate::save_checkpoint`]), and an optimizer saves
//! its own state; the masks come from generators owned by the layers, which neither sees.
//! [`Module::rng_states`] lists them (in forward order) as plain values that serde can
//! write anywhere, and [`restore_rng_states`] puts them back.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::NnError;
use crate::module::Module;

/// The position of one ChaCha8 generator: its seed, its stream and how many 32-bit words it
/// has produced.
///
/// ```
/// use caadam_nn::RngState;
/// use rand::{Rng, SeedableRng};
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
/// let _: u64 = rng.gen();
/// let state = RngState::of(&rng);
/// let (a, b): (u32, u32) = (rng.gen(), state.generator().gen());
/// assert_eq!(a, b);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RngState {
    /// The 256-bit key the generator was seeded with.
    pub seed: [u8; 32],
    /// The stream (nonce) number.
    pub stream: u64,
    /// 32-bit words produced so far.
    pub word_pos: u128,
}

impl RngState {
    /// Where `rng` is.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// assert_eq!(caadam_nn::RngState::of(&rng).word_pos, 0);
    /// ```
    pub fn of(rng: &ChaCha8Rng) -> Self {
        Self {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos(),
        }
    }

    /// A generator at this position.
    ///
    /// ```
    /// use rand::{Rng, SeedableRng};
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let state = caadam_nn::RngState::of(&rng);
    /// assert_eq!(state.generator().gen::<u64>(), rng.gen::<u64>());
    /// ```
    pub fn generator(&self) -> ChaCha8Rng {
        use rand::SeedableRng;
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos);
        rng
    }
}

/// Restores every generator of `module` from `states`, as [`Module::rng_states`] of the
/// same architecture listed them. The count is checked first: on a mismatch nothing is
/// changed.
///
/// ```
/// use caadam_nn::{restore_rng_states, Dropout, Module, NnError, Sequential};
/// let mut model = Sequential::new().push(Dropout::new(0.5, 1)).push(Dropout::new(0.5, 2));
/// let saved = model.rng_states();
/// assert_eq!(saved.len(), 2);
/// let mut resumed = Sequential::new().push(Dropout::new(0.5, 8)).push(Dropout::new(0.5, 9));
/// restore_rng_states(&mut resumed, &saved).unwrap();
/// assert_eq!(resumed.rng_states(), saved);
/// assert!(matches!(restore_rng_states(&mut resumed, &saved[..1]),
///     Err(NnError::RngStateCount { expected: 2, found: 1 })));
/// ```
pub fn restore_rng_states(module: &mut dyn Module, states: &[RngState]) -> Result<(), NnError> {
    let expected = module.rng_states().len();
    if states.len() != expected {
        return Err(NnError::RngStateCount {
            expected,
            found: states.len(),
        });
    }
    let used = module.set_rng_states(states);
    assert_eq!(
        used, expected,
        "restore_rng_states: a module used the wrong count"
    );
    Ok(())
}
