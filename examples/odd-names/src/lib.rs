//! Generated code for `codegen/tests/fixtures/codegen/odd`: messages named `Option`, `Result`,
//! `String`, `Box`, `Vec`, `Default` and `Self`, keyword field names, recursive types, and schema
//! comments with `*/`, code fences, HTML and non-ASCII. `cargo test` on this crate runs its
//! doctests too: none may come from a schema comment.
//!
//! It is also the crate generated code must fit into: warnings are errors (clippy's pedantic
//! group included, which `cargo clippy -D warnings` in CI checks), the generated code sits in a
//! private module, and the crate has modules of its own named `proto` and `avro`.

#![deny(warnings)]
#![warn(clippy::pedantic)]

/// The crate's own `proto` module: generated code must not collide with it.
pub mod proto {
    /// Nothing to do with herald's `proto`.
    pub const MINE: bool = true;
}

/// The crate's own `avro` module.
pub mod avro {
    /// Nothing to do with herald's `avro`.
    pub const MINE: bool = true;
}

mod generated {
    herald_runtime::include_events!(pub(crate) mod events);
}

#[cfg(test)]
mod tests {
    use super::generated::events::avro::odd::avro::{Hash, Match, MatchChoice, Tree};
    use super::generated::events::proto::odd::v1::{
        Kind, Node, Option as OptionMsg, Result as ResultMsg, String as StringMsg,
    };
    use herald_runtime::{Event, OpenEnum};

    #[test]
    fn keyword_fields_round_trip_and_key_on_type() -> core::result::Result<(), herald_runtime::CodecError> {
        let mut msg = OptionMsg {
            r#type: "t".into(),
            r#match: "m".into(),
            r#async: "a".into(),
            self_: "s".into(),
            super_: "su".into(),
            crate_: "c".into(),
            result: Some(ResultMsg {
                string: Some(StringMsg { value: "v".into() }),
                ..Default::default()
            }),
            ..Default::default()
        };
        msg.set_kind_value(OpenEnum::Known(Kind::Self_));
        msg.kinds = vec![2, 77];
        assert_eq!(msg.partition_key(), "t");
        let back = OptionMsg::decode(&msg.encode()?)?;
        assert_eq!(back, msg);
        assert_eq!(back.kind_value(), OpenEnum::Known(Kind::Self_));
        // A number this code does not know survives: typed access keeps it.
        let kinds: Vec<_> = back.kinds_value().collect();
        assert_eq!(kinds, [OpenEnum::Known(Kind::Type), OpenEnum::Unknown(77)]);
        assert_eq!(back.maybe_kind_value(), None);
        Ok(())
    }

    #[test]
    fn recursive_messages_are_boxed() {
        let leaf = Node {
            label: "leaf".into(),
            ..Default::default()
        };
        let root = Node {
            next: Some(Box::new(leaf.clone())),
            children: vec![leaf],
            label: "root".into(),
        };
        assert_eq!(root.next.as_ref().map(|n| n.label.as_str()), Some("leaf"));
    }

    #[test]
    fn avro_keywords_unions_and_logical_types_round_trip() -> core::result::Result<(), herald_runtime::CodecError> {
        let tree = Tree {
            left: Some(Box::new(Tree {
                left: None,
                right: None,
                value: 1,
            })),
            right: None,
            value: 2,
        };
        let cmd = Match {
            r#type: "key".into(),
            self_: 7,
            r#async: true,
            r#box: Some("b".into()),
            tree: tree.clone(),
            choice: MatchChoice::Tree(tree),
            raw: vec![1, 2, 3],
            hash: herald_runtime::avro::Fixed([9, 9, 9, 9]) as Hash,
            when: herald_runtime::chrono::DateTime::from_timestamp_micros(1_700_000_000_000_001),
            day: herald_runtime::chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default(),
            ids: vec!["0f8fad5b-d9cb-469f-a165-70867728950e".into()],
        };
        assert_eq!(cmd.partition_key(), "key");
        let back = Match::decode(&cmd.encode()?)?;
        assert_eq!(back, cmd);
        let null_choice = Match {
            choice: MatchChoice::Null,
            ..cmd
        };
        assert_eq!(Match::decode(&null_choice.encode()?)?, null_choice);
        Ok(())
    }

    #[test]
    fn records_with_all_defaults_implement_default() {
        let tree = Tree::default();
        assert_eq!((tree.left, tree.right, tree.value), (None, None, 0));
    }
}
