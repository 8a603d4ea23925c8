//! Export and import of the weights in the safetensors format, so that PyTorch, candle or
//! NumPy users can load a trained model.
//!
//! Each layout segment becomes one F32 tensor (little-endian, as the format requires) with
//! the segment's name and shape. Note for PyTorch users: a caadam `Linear` weight is
//! `[fan_in, fan_out]` (`y = x W + b`), while `torch.nn.Linear.weight` is
//! `[out_features, in_features]`; transpose the weights when copying them into a torch
//! module.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, View};

use crate::atomic_file::write_atomic;
use crate::error::NnError;
use crate::store::ParamStore;

/// One segment's values as a safetensors view (encoded to bytes on demand).
struct F32View<'a> {
    shape: &'a [usize],
    values: &'a [f32],
}

impl View for F32View<'_> {
    fn dtype(&self) -> Dtype {
        Dtype::F32
    }
    fn shape(&self) -> &[usize] {
        self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.values.iter().flat_map(|v| v.to_le_bytes()).collect())
    }
    fn data_len(&self) -> usize {
        self.values.len() * 4
    }
}

/// The parameters as the bytes of a safetensors file.
///
/// ```
/// use caadam_nn::{safetensors_to_bytes, ParamLayout, ParamStore};
/// let store = ParamStore::from_values(ParamLayout::flat("w", 2), vec![1.0, 2.0]).unwrap();
/// let bytes = safetensors_to_bytes(&store).unwrap();
/// let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
/// assert_eq!(file.tensor("w").unwrap().shape(), &[2]);
/// ```
pub fn safetensors_to_bytes(params: &ParamStore) -> Result<Vec<u8>, NnError> {
    let views = params.layout().segments().iter().map(|seg| {
        (
            seg.name.as_str(),
            F32View {
                shape: &seg.shape,
                values: &params.values()[seg.range()],
            },
        )
    });
    let metadata = Some(HashMap::from([
        // `format: pt` is what Hugging Face tools look for to treat the file as PyTorch
        // weights.
        ("format".to_string(), "pt".to_string()),
        ("producer".to_string(), "caadam-nn".to_string()),
    ]));
    safetensors::serialize(views, &metadata).map_err(|e| NnError::Safetensors(e.to_string()))
}

/// Writes the parameters to a safetensors file (atomically: temp file, sync, rename).
///
/// ```
/// use caadam_nn::{export_safetensors, import_safetensors, ParamLayout, ParamStore};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("model.safetensors");
/// let store = ParamStore::from_values(ParamLayout::flat("w", 2), vec![1.0, 2.0]).unwrap();
/// export_safetensors(&path, &store).unwrap();
/// let mut loaded = ParamStore::new(ParamLayout::flat("w", 2));
/// import_safetensors(&path, &mut loaded).unwrap();
/// assert_eq!(loaded.values(), &[1.0, 2.0]);
/// ```
pub fn export_safetensors(path: impl AsRef<Path>, params: &ParamStore) -> Result<(), NnError> {
    write_atomic(path.as_ref(), &safetensors_to_bytes(params)?)
}

/// Reads a safetensors file into `params`, tensor by tensor by layout name.
///
/// Every layout tensor must be in the file, as F32 with the layout's shape, and the file
/// must hold no other tensor; otherwise the error names the tensor and `params` is left
/// untouched. Gradients are zeroed.
///
/// ```
/// use caadam_nn::{import_safetensors, NnError, ParamLayout, ParamStore};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("none.safetensors");
/// let mut store = ParamStore::new(ParamLayout::flat("w", 2));
/// assert!(matches!(import_safetensors(&path, &mut store), Err(NnError::Io { .. })));
/// ```
pub fn import_safetensors(path: impl AsRef<Path>, params: &mut ParamStore) -> Result<(), NnError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| NnError::io(path, e))?;
    safetensors_from_bytes(&bytes, params)
}

/// Reads the bytes of a safetensors file into `params`; see [`import_safetensors`].
///
/// ```
/// use caadam_nn::{safetensors_from_bytes, safetensors_to_bytes, ParamLayout, ParamStore};
/// let src = ParamStore::from_values(ParamLayout::flat("w", 1), vec![3.0]).unwrap();
/// let mut dst = ParamStore::new(ParamLayout::flat("w", 1));
/// safetensors_from_bytes(&safetensors_to_bytes(&src).unwrap(), &mut dst).unwrap();
/// assert_eq!(dst.values(), &[3.0]);
/// ```
pub fn safetensors_from_bytes(bytes: &[u8], params: &mut ParamStore) -> Result<(), NnError> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| NnError::Safetensors(e.to_string()))?;
    // Decode everything first, write only when all tensors check out.
    let mut values = vec![0.0f32; params.len()];
    for seg in params.layout().segments() {
        let view = file.tensor(&seg.name).map_err(|_| NnError::MissingTensor {
            name: seg.name.clone(),
        })?;
        if view.dtype() != Dtype::F32 {
            return Err(NnError::WrongDtype {
                name: seg.name.clone(),
                found: format!("{:?}", view.dtype()),
            });
        }
        if view.shape() != seg.shape.as_slice() {
            return Err(NnError::ShapeMismatch {
                name: seg.name.clone(),
                expected: seg.shape.clone(),
                found: view.shape().to_vec(),
            });
        }
        // The tensor's bytes need not be 4-aligned in the buffer: decode byte-wise.
        for (v, b) in values[seg.range()]
            .iter_mut()
            .zip(view.data().chunks_exact(4))
        {
            *v = f32::from_le_bytes(b.try_into().expect("chunks of 4"));
        }
    }
    let layout = params.layout();
    let mut names = file.names();
    names.sort(); // the file's order is a hash map's; report deterministically
    if let Some(extra) = names.into_iter().find(|n| layout.find(n).is_none()) {
        return Err(NnError::UnexpectedTensor {
            name: extra.clone(),
        });
    }
    params.restore(&values);
    params.zero_grads();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LayerInfo, ParamKind, ParamLayout};

    fn layout(out: usize) -> ParamLayout {
        let mut layout = ParamLayout::new();
        let info = LayerInfo::new(3, out, 0);
        layout.push("layers.0.weight", &[3, out], ParamKind::Weight, info);
        layout.push("layers.0.bias", &[out], ParamKind::Bias, info);
        layout
    }

    fn store() -> ParamStore {
        let l = layout(2);
        let values = (0..l.len()).map(|i| i as f32 * 0.25 - 1.0).collect();
        ParamStore::from_values(l, values).unwrap()
    }

    #[test]
    fn round_trip_through_a_file_keeps_bits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let mut src = store();
        src.values_mut()[3] = f32::from_bits(0x0000_0001); // smallest subnormal
        export_safetensors(&path, &src).unwrap();
        let mut dst = ParamStore::new(layout(2));
        import_safetensors(&path, &mut dst).unwrap();
        let bits = |s: &ParamStore| s.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&dst), bits(&src));
    }

    #[test]
    fn file_is_plain_safetensors_with_layout_names_and_little_endian_f32() {
        let bytes = safetensors_to_bytes(&store()).unwrap();
        let file = SafeTensors::deserialize(&bytes).unwrap();
        let mut names = file.names();
        names.sort();
        assert_eq!(names, ["layers.0.bias", "layers.0.weight"]);
        let bias = file.tensor("layers.0.bias").unwrap();
        assert_eq!(bias.dtype(), Dtype::F32);
        assert_eq!(bias.shape(), &[2]);
        // Bias values are elements 6 and 7: 0.5 and 0.75.
        let mut expected = 0.5f32.to_le_bytes().to_vec();
        expected.extend_from_slice(&0.75f32.to_le_bytes());
        assert_eq!(bias.data(), expected.as_slice());
    }

    #[test]
    fn missing_tensor_is_named() {
        let mut with_extra_layer = layout(2);
        let info = LayerInfo::new(2, 1, 1);
        with_extra_layer.push("layers.1.weight", &[2, 1], ParamKind::Weight, info);
        let mut dst = ParamStore::new(with_extra_layer);
        let err =
            safetensors_from_bytes(&safetensors_to_bytes(&store()).unwrap(), &mut dst).unwrap_err();
        assert!(matches!(&err, NnError::MissingTensor { name } if name == "layers.1.weight"));
        assert_eq!(
            err.to_string(),
            "tensor `layers.1.weight` is missing from the file"
        );
    }

    #[test]
    fn wrong_shape_is_named_and_leaves_the_store_untouched() {
        let mut dst = ParamStore::new(layout(4));
        let err =
            safetensors_from_bytes(&safetensors_to_bytes(&store()).unwrap(), &mut dst).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tensor `layers.0.weight` has shape [3, 2] in the file, the model expects [3, 4]"
        );
        assert!(dst.values().iter().all(|&v| v == 0.0));
    }

    #[test]
    fn unexpected_tensor_and_garbage_are_errors() {
        let mut small = ParamLayout::new();
        small.push(
            "layers.0.weight",
            &[3, 2],
            ParamKind::Weight,
            LayerInfo::new(3, 2, 0),
        );
        let mut dst = ParamStore::new(small);
        let err =
            safetensors_from_bytes(&safetensors_to_bytes(&store()).unwrap(), &mut dst).unwrap_err();
        assert!(matches!(&err, NnError::UnexpectedTensor { name } if name == "layers.0.bias"));
        let err = safetensors_from_bytes(b"\x01\x02", &mut dst).unwrap_err();
        assert!(matches!(err, NnError::Safetensors(_)));
    }

    #[test]
    fn non_f32_tensor_is_rejected() {
        let data = [0u8; 4];
        let i32_view = safetensors::tensor::TensorView::new(Dtype::I32, vec![1], &data).unwrap();
        let bytes = safetensors::serialize([("w", i32_view)], &None).unwrap();
        let mut dst = ParamStore::new(ParamLayout::flat("w", 1));
        let err = safetensors_from_bytes(&bytes, &mut dst).unwrap_err();
        assert!(
            matches!(&err, NnError::WrongDtype { name, .. } if name == "w"),
            "{err:?}"
        );
    }
}
