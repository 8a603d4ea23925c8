//! Where each parameter tensor lives in the flat parameter buffer.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::connection::LayerInfo;

/// What a parameter tensor is to its layer.
///
/// ```
/// use caadam_nn::ParamKind;
/// assert_ne!(ParamKind::Weight, ParamKind::Bias);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ParamKind {
    /// The multiplicative parameter (a Linear's `W`, a LayerNorm's gain).
    Weight,
    /// The additive parameter (a Linear's `b`, a LayerNorm's shift).
    Bias,
}

impl ParamKind {
    /// The name's last part: `weight` or `bias`.
    ///
    /// ```
    /// assert_eq!(caadam_nn::ParamKind::Bias.as_str(), "bias");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ParamKind::Weight => "weight",
            ParamKind::Bias => "bias",
        }
    }
}

/// One parameter tensor's place in the flat buffer.
///
/// ```
/// let layout = caadam_nn::ParamLayout::flat("p", 6);
/// let seg = &layout.segments()[0];
/// assert_eq!((seg.name.as_str(), seg.offset, seg.len()), ("p", 0, 6));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Full name, such as `layers.0.weight`.
    pub name: String,
    /// Index of the first element in the flat buffer.
    pub offset: usize,
    /// Row-major shape; a Linear weight is `[fan_in, fan_out]`.
    pub shape: Vec<usize>,
    /// Index of the owning layer among parametrized layers (equals `info.depth`).
    pub layer: usize,
    /// Weight or bias.
    pub kind: ParamKind,
    /// The owning layer's structure.
    pub info: LayerInfo,
}

impl Segment {
    /// Number of elements.
    ///
    /// ```
    /// assert_eq!(caadam_nn::ParamLayout::flat("p", 4).segments()[0].len(), 4);
    /// ```
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True for a tensor with no elements.
    ///
    /// ```
    /// assert!(!caadam_nn::ParamLayout::flat("p", 4).segments()[0].is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The segment's range in the flat buffer.
    ///
    /// ```
    /// let layout = caadam_nn::ParamLayout::flat("p", 4);
    /// let values = [1.0f32, 2.0, 3.0, 4.0];
    /// assert_eq!(&values[layout.segments()[0].range()], &values[..]);
    /// ```
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len()
    }
}

/// The layout of a flat parameter buffer: one [`Segment`] per parameter tensor, layer by
/// layer, weight then bias, with no gaps.
///
/// ```
/// use caadam_nn::{LayerInfo, ParamKind, ParamLayout};
/// let mut layout = ParamLayout::new();
/// let info = LayerInfo::new(8, 4, 0);
/// layout.push("layers.0.weight", &[8, 4], ParamKind::Weight, info);
/// layout.push("layers.0.bias", &[4], ParamKind::Bias, info);
/// assert_eq!(layout.len(), 36);
/// assert_eq!(layout.segments()[1].offset, 32);
/// assert_eq!(layout.layer_infos(), vec![info]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamLayout {
    segments: Vec<Segment>,
}

impl ParamLayout {
    /// An empty layout.
    ///
    /// ```
    /// assert!(caadam_nn::ParamLayout::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A layout of one unnamed-structure tensor (`fan_in = fan_out = len`, depth 0): for
    /// optimizers used on a bare buffer.
    ///
    /// ```
    /// let layout = caadam_nn::ParamLayout::flat("params", 10);
    /// assert_eq!(layout.len(), 10);
    /// ```
    pub fn flat(name: &str, len: usize) -> Self {
        let mut layout = Self::new();
        layout.push(name, &[len], ParamKind::Weight, LayerInfo::new(len, 1, 0));
        layout
    }

    /// Appends a tensor after the last one and returns its segment index.
    ///
    /// Panics if `info.depth` is smaller than the previous segment's layer (layers are laid
    /// out in forward order).
    ///
    /// ```
    /// use caadam_nn::{LayerInfo, ParamKind, ParamLayout};
    /// let mut layout = ParamLayout::new();
    /// let info = LayerInfo::new(2, 2, 0);
    /// assert_eq!(layout.push("layers.0.weight", &[2, 2], ParamKind::Weight, info), 0);
    /// assert_eq!(layout.push("layers.0.bias", &[2], ParamKind::Bias, info), 1);
    /// assert_eq!(layout.segments()[1].offset, 4);
    /// ```
    pub fn push(&mut self, name: &str, shape: &[usize], kind: ParamKind, info: LayerInfo) -> usize {
        if let Some(last) = self.segments.last() {
            assert!(
                info.depth >= last.layer,
                "ParamLayout::push: layer {} of `{name}` comes after layer {}",
                info.depth,
                last.layer
            );
        }
        self.segments.push(Segment {
            name: name.to_string(),
            offset: self.len(),
            shape: shape.to_vec(),
            layer: info.depth,
            kind,
            info,
        });
        self.segments.len() - 1
    }

    /// All segments in buffer order.
    ///
    /// ```
    /// assert_eq!(caadam_nn::ParamLayout::flat("p", 4).segments().len(), 1);
    /// ```
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Total number of parameters.
    ///
    /// ```
    /// assert_eq!(caadam_nn::ParamLayout::flat("p", 4).len(), 4);
    /// ```
    pub fn len(&self) -> usize {
        self.segments.last().map_or(0, |s| s.offset + s.len())
    }

    /// True when there are no parameters.
    ///
    /// ```
    /// assert!(caadam_nn::ParamLayout::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The segment with this name, if any.
    ///
    /// ```
    /// let layout = caadam_nn::ParamLayout::flat("p", 4);
    /// assert_eq!(layout.find("p").map(|s| s.offset), Some(0));
    /// assert!(layout.find("q").is_none());
    /// ```
    pub fn find(&self, name: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.name == name)
    }

    /// One [`LayerInfo`] per parametrized layer, in depth order.
    ///
    /// ```
    /// use caadam_nn::{LayerInfo, ParamKind, ParamLayout};
    /// let mut layout = ParamLayout::new();
    /// let (a, b) = (LayerInfo::new(3, 2, 0), LayerInfo::new(2, 1, 1));
    /// layout.push("layers.0.weight", &[3, 2], ParamKind::Weight, a);
    /// layout.push("layers.0.bias", &[2], ParamKind::Bias, a);
    /// layout.push("layers.1.weight", &[2, 1], ParamKind::Weight, b);
    /// assert_eq!(layout.layer_infos(), vec![a, b]);
    /// ```
    pub fn layer_infos(&self) -> Vec<LayerInfo> {
        let mut infos: Vec<LayerInfo> = Vec::new();
        for s in &self.segments {
            if infos.last().is_none_or(|i| i.depth != s.layer) {
                infos.push(s.info);
            }
        }
        infos
    }
}
