//! Misuse panics with a message naming the op and the shapes involved.

use caadam_autograd::{Tape, Tensor};

#[test]
#[should_panic(expected = "matmul: shapes [2, 3] and [2, 3] are not [m, k] and [k, n]")]
fn matmul_inner_dimension_mismatch() {
    let mut tape = Tape::new();
    let a = tape.input_from(&[0.0; 6], &[2, 3]);
    let b = tape.input_from(&[0.0; 6], &[2, 3]);
    tape.matmul(a, b);
}

#[test]
#[should_panic(expected = "matmul: shapes [6] and [6, 1] are not [m, k] and [k, n]")]
fn matmul_of_a_vector() {
    let mut tape = Tape::new();
    let a = tape.input_from(&[0.0; 6], &[6]);
    let b = tape.input_from(&[0.0; 6], &[6, 1]);
    tape.matmul(a, b);
}

#[test]
#[should_panic(
    expected = "affine_relu: shapes [2, 3], [2, 4] and [4] are not [m, k], [k, n] and [n]"
)]
fn affine_relu_with_mismatched_inner_dimensions() {
    let mut tape = Tape::new();
    let x = tape.input_from(&[0.0; 6], &[2, 3]);
    let w = tape.input_from(&[0.0; 8], &[2, 4]);
    let b = tape.input_from(&[0.0; 4], &[4]);
    tape.affine_relu(x, w, b);
}

#[test]
#[should_panic(expected = "affine: shapes [2, 3], [3, 4] and [3] are not [m, k], [k, n] and [n]")]
fn affine_bias_of_the_wrong_width() {
    let mut tape = Tape::new();
    let x = tape.input_from(&[0.0; 6], &[2, 3]);
    let w = tape.input_from(&[0.0; 12], &[3, 4]);
    let b = tape.input_from(&[0.0; 3], &[3]);
    tape.affine(x, w, b);
}

#[test]
#[should_panic(expected = "add: shapes [2, 3] and [3, 2] cannot be broadcast together")]
fn add_shape_mismatch() {
    let mut tape = Tape::new();
    let a = tape.input_from(&[0.0; 6], &[2, 3]);
    let b = tape.input_from(&[0.0; 6], &[3, 2]);
    tape.add(a, b);
}

#[test]
#[should_panic(expected = "div: shapes [4] and [3] cannot be broadcast together")]
fn div_shape_mismatch() {
    let mut tape = Tape::new();
    let a = tape.input_from(&[1.0; 4], &[4]);
    let b = tape.input_from(&[1.0; 3], &[3]);
    tape.div(a, b);
}

#[test]
#[should_panic(expected = "mse: prediction shape [4, 1] and target shape [4] must be equal")]
fn mse_shape_mismatch() {
    let mut tape = Tape::new();
    let p = tape.input_from(&[0.0; 4], &[4, 1]);
    let t = tape.input_from(&[0.0; 4], &[4]);
    tape.mse(p, t);
}

#[test]
#[should_panic(expected = "reshape: cannot reshape [2, 3] (6 elements) to [4] (4 elements)")]
fn reshape_wrong_count() {
    let mut tape = Tape::new();
    let a = tape.input_from(&[0.0; 6], &[2, 3]);
    tape.reshape(a, &[4]);
}

#[test]
#[should_panic(expected = "concat: shapes [2, 3] and [2, 4] differ outside axis 0")]
fn concat_mismatch() {
    let mut tape = Tape::new();
    let a = tape.input_from(&[0.0; 6], &[2, 3]);
    let b = tape.input_from(&[0.0; 8], &[2, 4]);
    tape.concat(&[a, b], 0);
}

#[test]
#[should_panic(expected = "cross_entropy: label 3 at row 1 is out of range for 3 classes")]
fn cross_entropy_label_out_of_range() {
    let mut tape = Tape::new();
    let z = tape.input_from(&[0.0; 6], &[2, 3]);
    tape.cross_entropy(z, &[0, 3]);
}

#[test]
#[should_panic(expected = "sum_axis: axis 2 out of range for shape [2, 3]")]
fn axis_out_of_range() {
    let mut tape = Tape::new();
    let a = tape.input_from(&[0.0; 6], &[2, 3]);
    tape.sum_axis(a, 2, false);
}

#[test]
#[should_panic(expected = "backward: the loss must have exactly one element, got shape [2, 2]")]
fn backward_of_a_non_scalar() {
    let mut tape = Tape::new();
    let w = tape.param(&[1.0; 4], &[2, 2], 0);
    let y = tape.relu(w);
    tape.backward(y);
}

#[test]
#[should_panic(expected = "matmul: Var belongs to another tape")]
fn var_from_another_tape() {
    let mut first = Tape::new();
    let mut second = Tape::new();
    let a = first.input_from(&[1.0], &[1, 1]);
    let b = second.input_from(&[1.0], &[1, 1]);
    second.matmul(a, b);
}

#[test]
#[should_panic(expected = "Tape::value: Var belongs to another tape")]
fn reading_a_var_from_another_tape() {
    let mut first = Tape::new();
    let second = Tape::new();
    let a = first.input_from(&[1.0], &[1]);
    second.value(a);
}

#[test]
#[should_panic(expected = "relu: Var was recorded before Tape::clear()")]
fn var_from_before_clear() {
    let mut tape = Tape::new();
    let a = tape.input_from(&[1.0], &[1]);
    tape.clear();
    tape.relu(a);
}

#[test]
#[should_panic(expected = "backward: called a second time on the same tape")]
fn second_backward_panics() {
    let mut tape = Tape::new();
    let w = tape.param(&[1.0], &[1], 0);
    let l = tape.sum(w);
    tape.backward(l);
    tape.backward(l);
}

#[test]
#[should_panic(expected = "backward: this tape was made with Tape::inference()")]
fn backward_on_inference_tape() {
    let mut tape = Tape::inference();
    let w = tape.param(&[1.0], &[1], 0);
    let l = tape.sum(w);
    tape.backward(l);
}

#[test]
#[should_panic(expected = "Tensor::new: data has 5 elements but shape [2, 3] needs 6")]
fn tensor_with_wrong_length() {
    Tensor::new(vec![0.0; 5], &[2, 3]);
}

#[test]
#[should_panic(expected = "Tape::param: data has 3 elements but shape [2, 2] needs 4")]
fn param_with_wrong_length() {
    Tape::new().param(&[0.0; 3], &[2, 2], 0);
}
