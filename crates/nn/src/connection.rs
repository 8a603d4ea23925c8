//! How a parametrized layer describes its place in the network's structure.
//!
//! CaAdam scales each layer's step by a factor taken from these numbers, so they are part of
//! the optimizer's input, not decoration.

use serde::{Deserialize, Serialize};

/// The structural numbers of a layer that has parameters.
///
/// - `fan_in`: how many inputs each output unit reads;
/// - `fan_out`: how many output units the layer has;
/// - `depth`: the 0-based index of the layer among the model's *parametrized* layers, in
///   forward order (assigned by the container, not by the layer);
/// - `connections`: how many input-to-output connections the layer has, `fan_in * fan_out`
///   unless a layer says otherwise.
///
/// ```
/// use caadam_nn::{ConnectionInfo, LayerInfo};
/// let info = LayerInfo::new(8, 64, 0);
/// assert_eq!((info.fan_in(), info.fan_out(), info.depth(), info.connections()), (8, 64, 0, 512));
/// ```
pub trait ConnectionInfo {
    /// Inputs read by each output unit.
    fn fan_in(&self) -> usize;
    /// Output units.
    fn fan_out(&self) -> usize;
    /// 0-based index among the model's parametrized layers, in forward order.
    fn depth(&self) -> usize;
    /// Input-to-output connections; `fan_in * fan_out` by default.
    fn connections(&self) -> usize {
        self.fan_in() * self.fan_out()
    }
}

/// A plain snapshot of a layer's [`ConnectionInfo`], stored in the parameter layout so that
/// optimizers can read the structure without seeing the layers.
///
/// ```
/// use caadam_nn::{ConnectionInfo, LayerInfo};
/// let info = LayerInfo::new(64, 32, 1);
/// assert_eq!(info.connections(), 2048);
/// let custom = LayerInfo::with_connections(16, 16, 2, 32); // e.g. a LayerNorm of width 16
/// assert_eq!(custom.connections(), 32);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LayerInfo {
    /// Inputs read by each output unit.
    pub fan_in: usize,
    /// Output units.
    pub fan_out: usize,
    /// 0-based index among parametrized layers.
    pub depth: usize,
    /// Input-to-output connections.
    pub connections: usize,
}

impl LayerInfo {
    /// A layer whose connections are `fan_in * fan_out`.
    ///
    /// ```
    /// let info = caadam_nn::LayerInfo::new(32, 1, 2);
    /// assert_eq!(info.connections, 32);
    /// ```
    pub fn new(fan_in: usize, fan_out: usize, depth: usize) -> Self {
        Self::with_connections(fan_in, fan_out, depth, fan_in * fan_out)
    }

    /// A layer that counts its connections another way.
    ///
    /// ```
    /// // A LayerNorm of width 16 at depth 1: one connection per feature.
    /// let info = caadam_nn::LayerInfo::with_connections(16, 16, 1, 16);
    /// assert_eq!(info.connections, 16);
    /// ```
    pub fn with_connections(
        fan_in: usize,
        fan_out: usize,
        depth: usize,
        connections: usize,
    ) -> Self {
        Self {
            fan_in,
            fan_out,
            depth,
            connections,
        }
    }

    /// Takes the snapshot of any [`ConnectionInfo`].
    ///
    /// ```
    /// use caadam_nn::{LayerInfo, Linear};
    /// assert_eq!(LayerInfo::of(&Linear::new(3, 2)), LayerInfo::new(3, 2, 0));
    /// ```
    pub fn of(layer: &impl ConnectionInfo) -> Self {
        Self::with_connections(
            layer.fan_in(),
            layer.fan_out(),
            layer.depth(),
            layer.connections(),
        )
    }
}

impl ConnectionInfo for LayerInfo {
    fn fan_in(&self) -> usize {
        self.fan_in
    }
    fn fan_out(&self) -> usize {
        self.fan_out
    }
    fn depth(&self) -> usize {
        self.depth
    }
    fn connections(&self) -> usize {
        self.connections
    }
}
