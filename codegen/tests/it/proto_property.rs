//! Proof by data for protobuf: for every pair of the proto corpus (`tests/fixtures/compat/proto`)
//! herald calls wire compatible (no error in the WIRE category), random messages written with
//! the old descriptor decode with prost (prost-reflect's dynamic messages over the descriptors
//! herald's parser produced) using the new one, and every field both sides know with the same
//! type, or a lossless widening, keeps its value.

use std::path::{Path, PathBuf};

use herald_codegen::compat::check::{self, CheckOptions};
use herald_codegen::compat::Category;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, Kind, MessageDescriptor, Value};

use crate::common;
use common::Gen;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compat/proto")
}

fn message(set: &herald_codegen::EventSet) -> Option<MessageDescriptor> {
    let bytes = set.proto_descriptors.get("shop.proto")?;
    let file = prost_types::FileDescriptorProto::decode(bytes.as_slice()).ok()?;
    let name = format!("{}.Order", file.package());
    let pool = DescriptorPool::from_file_descriptor_set(prost_types::FileDescriptorSet { file: vec![file] }).ok()?;
    pool.get_message_by_name(&name)
}

impl Gen {
    fn scalar(&mut self, kind: &Kind) -> Option<Value> {
        Some(match kind {
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(self.next() as i32 >> 4),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(self.next() as i64 >> 4),
            Kind::Uint32 | Kind::Fixed32 => Value::U32((self.next() as u32) >> 4),
            Kind::Uint64 | Kind::Fixed64 => Value::U64(self.next() >> 4),
            Kind::Float => Value::F32((self.next() % 1000) as f32 / 4.0),
            Kind::Double => Value::F64((self.next() % 1000) as f64 / 4.0),
            Kind::Bool => Value::Bool(self.next().is_multiple_of(2)),
            Kind::String => Value::String(format!("s{}", self.next() % 1000)),
            Kind::Bytes => Value::Bytes(prost::bytes::Bytes::from(
                format!("b{}", self.next() % 1000).into_bytes(),
            )),
            Kind::Enum(e) => {
                let values: Vec<i32> = e.values().map(|v| v.number()).collect();
                Value::EnumNumber(values[(self.next() % values.len() as u64) as usize])
            }
            Kind::Message(m) => {
                let mut msg = DynamicMessage::new(m.clone());
                for f in m.fields().filter(|f| !f.is_list() && !f.is_map()) {
                    if let Some(v) = self.scalar(&f.kind()).filter(|_| !matches!(f.kind(), Kind::Message(_))) {
                        msg.set_field(&f, v);
                    }
                }
                Value::Message(msg)
            }
        })
    }
}

/// Same value, allowing the lossless widenings of the wire format.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::I32(x), Value::I64(y)) => i64::from(*x) == *y,
        (Value::U32(x), Value::U64(y)) => u64::from(*x) == *y,
        (Value::U32(x), Value::I64(y)) => i64::from(*x) == *y,
        (Value::EnumNumber(x), Value::I32(y)) | (Value::I32(x), Value::EnumNumber(y)) => x == y,
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        _ => a == b,
    }
}

/// Kinds whose values carry over unchanged (same kind, or a lossless widening).
fn comparable(old: &Kind, new: &Kind) -> bool {
    matches!(
        (old, new),
        (Kind::Int32, Kind::Int64)
            | (Kind::Uint32, Kind::Uint64)
            | (Kind::Uint32, Kind::Int64)
            | (Kind::Enum(_), Kind::Int32)
            | (Kind::Int32, Kind::Enum(_))
    ) || old == new
}

#[test]
fn wire_compatible_pairs_keep_every_shared_value() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("old").is_dir())
        .collect();
    cases.sort();
    let (mut checked, mut failures) = (0, Vec::new());
    for case in cases {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let old = herald_codegen::load::load(&case.join("old")).expect("old").set;
        let new = herald_codegen::load::load(&case.join("new")).expect("new").set;
        let options = CheckOptions {
            mode: None,
            categories: vec![Category::Wire],
            ..CheckOptions::default()
        };
        let breaking = check::check(&old, &new, &options)
            .iter()
            .any(|f| f.severity == herald_codegen::Severity::Error);
        if breaking {
            continue;
        }
        let (Some(old_md), Some(new_md)) = (message(&old), message(&new)) else {
            failures.push(format!("{name}: no Order message"));
            continue;
        };
        let mut runner = TestRunner::new(Config {
            cases: 32,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&any::<u64>(), |seed| {
            let mut g = Gen(seed);
            let mut msg = DynamicMessage::new(old_md.clone());
            for f in old_md.fields().filter(|f| !f.is_map()) {
                let value = if f.is_list() {
                    let n = g.next() % 3;
                    Some(Value::List((0..n).filter_map(|_| g.scalar(&f.kind())).collect()))
                } else {
                    g.scalar(&f.kind())
                };
                if let Some(v) = value {
                    msg.set_field(&f, v);
                }
            }
            let bytes = msg.encode_to_vec();
            let read = DynamicMessage::decode(new_md.clone(), bytes.as_slice())
                .map_err(|e| TestCaseError::fail(format!("{name}: prost cannot decode: {e}")))?;
            for of in old_md.fields().filter(|f| !f.is_map()) {
                let Some(nf) = new_md.get_field(of.number()) else {
                    continue;
                };
                if of.is_list() != nf.is_list() || nf.is_map() || !comparable(&of.kind(), &nf.kind()) {
                    continue;
                }
                let (a, b) = (msg.get_field(&of), read.get_field(&nf));
                prop_assert!(
                    same(&a, &b),
                    "{}: field {} wrote {:?}, read {:?}",
                    name,
                    of.number(),
                    a,
                    b
                );
            }
            Ok(())
        });
        match result {
            Ok(()) => checked += 1,
            Err(e) => failures.push(e.to_string()),
        }
    }
    println!("{checked} wire-compatible pairs checked");
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(checked >= 25, "only {checked} pairs checked");
}
