//! The tree as an ONNX model: one `ai.onnx.ml` `TreeEnsembleClassifier` node (opset `ai.onnx.ml` 3,
//! default opset 15, IR version 8) with input `X` (`float`, `n × d`) and outputs `label` (`string`,
//! the class names) and `probabilities` (`float`, `n × K`, the leaf's probabilities: post-transform
//! `NONE`). Every inner node is `BRANCH_LEQ` (left when `x <= threshold`, the threshold the same
//! `f32` as the tree's), so onnxruntime gives [`Tree::predict_proba`]'s rows. The protobuf is written
//! directly (no dependency): the message and field numbers of `onnx.proto`.
//!
//! ```
//! use kdistill::student::tree::{export, TreeParams};
//! let x = ndarray::array![[0.0f32], [1.0], [2.0], [3.0]];
//! let y = ndarray::array![[1.0f32, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]];
//! let tree = TreeParams::new().fit(x.view(), y.view(), None).unwrap();
//! let bytes = export::to_onnx(&tree, &["x".to_string()], &["no".to_string(), "yes".to_string()]).unwrap();
//! assert!(bytes.windows(22).any(|w| w == b"TreeEnsembleClassifier"));
//! ```
use super::super::model::Tree;
use super::check_names;
use super::flat::Flat;
use crate::error::Result;

/// Protobuf writer: fields appended to a byte buffer.
#[derive(Default)]
struct Pb(Vec<u8>);

impl Pb {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn key(&mut self, field: u32, wire: u8) {
        self.varint(((field as u64) << 3) | wire as u64);
    }
    fn int(&mut self, field: u32, v: i64) {
        self.key(field, 0);
        self.varint(v as u64);
    }
    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.key(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn msg(&mut self, field: u32, m: Pb) {
        self.bytes(field, &m.0);
    }
    fn packed_ints(&mut self, field: u32, v: &[i64]) {
        let mut p = Pb::default();
        for &x in v {
            p.varint(x as u64);
        }
        self.bytes(field, &p.0);
    }
    fn packed_floats(&mut self, field: u32, v: &[f32]) {
        let mut b = Vec::with_capacity(4 * v.len());
        for x in v {
            b.extend_from_slice(&x.to_le_bytes());
        }
        self.bytes(field, &b);
    }
}

// AttributeProto fields and types (onnx.proto).
const ATTR_NAME: u32 = 1;
const ATTR_S: u32 = 4;
const ATTR_FLOATS: u32 = 7;
const ATTR_INTS: u32 = 8;
const ATTR_STRINGS: u32 = 9;
const ATTR_TYPE: u32 = 20;
const TYPE_STRING: i64 = 3;
const TYPE_FLOATS: i64 = 6;
const TYPE_INTS: i64 = 7;
const TYPE_STRINGS: i64 = 8;
// TensorProto element types.
const ELEM_FLOAT: i64 = 1;
const ELEM_STRING: i64 = 8;

fn attr_ints(name: &str, v: &[i64]) -> Pb {
    let mut a = Pb::default();
    a.bytes(ATTR_NAME, name.as_bytes());
    a.packed_ints(ATTR_INTS, v);
    a.int(ATTR_TYPE, TYPE_INTS);
    a
}

fn attr_floats(name: &str, v: &[f32]) -> Pb {
    let mut a = Pb::default();
    a.bytes(ATTR_NAME, name.as_bytes());
    a.packed_floats(ATTR_FLOATS, v);
    a.int(ATTR_TYPE, TYPE_FLOATS);
    a
}

fn attr_strings(name: &str, v: &[&str]) -> Pb {
    let mut a = Pb::default();
    a.bytes(ATTR_NAME, name.as_bytes());
    for s in v {
        a.bytes(ATTR_STRINGS, s.as_bytes());
    }
    a.int(ATTR_TYPE, TYPE_STRINGS);
    a
}

fn attr_string(name: &str, v: &str) -> Pb {
    let mut a = Pb::default();
    a.bytes(ATTR_NAME, name.as_bytes());
    a.bytes(ATTR_S, v.as_bytes());
    a.int(ATTR_TYPE, TYPE_STRING);
    a
}

/// `ValueInfoProto` of a tensor with a symbolic first dimension `N` and, when given, a fixed second.
fn value_info(name: &str, elem: i64, cols: Option<usize>) -> Pb {
    let mut shape = Pb::default();
    let mut n = Pb::default();
    n.bytes(2, b"N"); // dim_param
    shape.msg(1, n);
    if let Some(c) = cols {
        let mut d = Pb::default();
        d.int(1, c as i64); // dim_value
        shape.msg(1, d);
    }
    let mut tensor = Pb::default();
    tensor.int(1, elem); // elem_type
    tensor.msg(2, shape);
    let mut ty = Pb::default();
    ty.msg(1, tensor); // tensor_type
    let mut v = Pb::default();
    v.bytes(1, name.as_bytes());
    v.msg(2, ty);
    v
}

/// The tree as ONNX model bytes; see the module docs. `features` and `classes` name the inputs'
/// columns (in the model's documentation) and the labels.
pub fn to_onnx(tree: &Tree, features: &[String], classes: &[String]) -> Result<Vec<u8>> {
    check_names(Some(features), tree.n_features(), "feature")?;
    check_names(Some(classes), tree.n_outputs(), "class")?;
    let f = Flat::of(tree);
    let k = tree.n_outputs();
    let m = f.feature.len();
    let (mut ids, mut feats, mut modes, mut vals, mut trues, mut falses) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut c_nodes, mut c_ids, mut c_weights) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..m {
        ids.push(i as i64);
        if f.feature[i] < 0 {
            feats.push(0);
            modes.push("LEAF");
            vals.push(0.0);
            trues.push(0);
            falses.push(0);
            for (c, &w) in f.values[f.left[i]].iter().enumerate() {
                c_nodes.push(i as i64);
                c_ids.push(c as i64);
                c_weights.push(w);
            }
        } else {
            feats.push(f.feature[i]);
            modes.push("BRANCH_LEQ");
            vals.push(f.threshold[i]);
            trues.push(f.left[i] as i64);
            falses.push(f.right[i] as i64);
        }
    }
    let labels: Vec<&str> = classes.iter().map(String::as_str).collect();
    let mut node = Pb::default();
    node.bytes(1, b"X"); // input
    node.bytes(2, b"label"); // outputs
    node.bytes(2, b"probabilities");
    node.bytes(3, b"tree"); // name
    node.bytes(4, b"TreeEnsembleClassifier"); // op_type
    for a in [
        attr_ints("nodes_treeids", &vec![0; m]),
        attr_ints("nodes_nodeids", &ids),
        attr_ints("nodes_featureids", &feats),
        attr_floats("nodes_values", &vals),
        attr_strings("nodes_modes", &modes),
        attr_ints("nodes_truenodeids", &trues),
        attr_ints("nodes_falsenodeids", &falses),
        attr_ints("class_treeids", &vec![0; c_nodes.len()]),
        attr_ints("class_nodeids", &c_nodes),
        attr_ints("class_ids", &c_ids),
        attr_floats("class_weights", &c_weights),
        attr_strings("classlabels_strings", &labels),
        attr_string("post_transform", "NONE"),
    ] {
        node.msg(5, a);
    }
    node.bytes(7, b"ai.onnx.ml"); // domain
    let mut graph = Pb::default();
    graph.msg(1, node);
    graph.bytes(2, b"kdistill_tree");
    graph.bytes(10, format!("features: {}; classes: {}", features.join(", "), classes.join(", ")).as_bytes());
    graph.msg(11, value_info("X", ELEM_FLOAT, Some(tree.n_features())));
    graph.msg(12, value_info("label", ELEM_STRING, None));
    graph.msg(12, value_info("probabilities", ELEM_FLOAT, Some(k)));
    let mut model = Pb::default();
    model.int(1, 8); // ir_version
    model.bytes(2, b"kdistill");
    model.bytes(3, env!("CARGO_PKG_VERSION").as_bytes());
    model.msg(7, graph);
    for (domain, version) in [("", 15i64), ("ai.onnx.ml", 3)] {
        let mut op = Pb::default();
        op.bytes(1, domain.as_bytes());
        op.int(2, version);
        model.msg(8, op);
    }
    Ok(model.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_fields_follow_the_wire_format() {
        let mut p = Pb::default();
        p.int(1, 300);
        assert_eq!(p.0, [0x08, 0xac, 0x02]);
        let mut p = Pb::default();
        p.bytes(2, b"hi");
        assert_eq!(p.0, [0x12, 2, b'h', b'i']);
        let mut p = Pb::default();
        p.packed_floats(7, &[1.0]);
        assert_eq!(p.0, [0x3a, 4, 0, 0, 0x80, 0x3f]);
    }
}
