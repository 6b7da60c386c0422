//! Synthetic schema repos for the benchmarks: realistic event files, generated deterministically.
// Each benchmark binary uses some of these generators, not all.
#![allow(dead_code)]

use std::path::Path;

/// Writes `count` proto event files (plus one shared file they import) under `root/proto/`.
pub fn write_proto_repo(root: &Path, count: usize) {
    let dir = root.join("proto");
    std::fs::create_dir_all(&dir).expect("create proto dir");
    std::fs::write(
        dir.join("common.proto"),
        "syntax = \"proto3\";\npackage bench.common;\n\n// Money in minor units.\nmessage Money {\n  string currency = 1;\n  int64 amount = 2;\n}\n",
    )
    .expect("write common");
    for i in 0..count {
        let text = format!(
            r#"syntax = "proto3";

package bench.e{i};

import "herald/options.proto";
import "proto/common.proto";

// Something happened to entity {i}.
message Thing{i}Happened {{
  option (herald.event) = {{ version: "1.{minor}", kind: EVENT, partition_key: "entity_id" }};

  // The entity's id.
  string entity_id = 1;
  int64 occurred_at = 2;
  bench.common.Money amount = 3;
  repeated string tags = 4;
  map<string, string> attributes = 5;
  Status status = 6;
  oneof detail {{
    string note = 7;
    int32 code = 8;
  }}
  Nested nested = 9;

  message Nested {{
    string a = 1;
    double b = 2;
  }}

  enum Status {{
    STATUS_UNSPECIFIED = 0;
    STATUS_OPEN = 1;
    STATUS_CLOSED = 2;
  }}
}}
"#,
            minor = i % 7
        );
        std::fs::write(dir.join(format!("e{i}.proto")), text).expect("write proto");
    }
}

/// Writes `count` Avro event files under `root/avro/`.
pub fn write_avro_repo(root: &Path, count: usize) {
    let dir = root.join("avro");
    std::fs::create_dir_all(&dir).expect("create avro dir");
    for i in 0..count {
        let text = format!(
            r#"{{
  "type": "record",
  "name": "Thing{i}Happened",
  "namespace": "bench.avro.e{i}",
  "doc": "Something happened to entity {i}.",
  "herald": {{"version": "1.{minor}", "kind": "event", "partitionKey": "entityId"}},
  "fields": [
    {{"name": "entityId", "type": {{"type": "string", "logicalType": "uuid"}}}},
    {{"name": "occurredAt", "type": {{"type": "long", "logicalType": "timestamp-millis"}}}},
    {{"name": "amount", "type": {{"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}}}},
    {{"name": "note", "type": ["null", "string"], "default": null}},
    {{"name": "tags", "type": {{"type": "array", "items": "string"}}, "default": []}},
    {{"name": "attributes", "type": {{"type": "map", "values": "string"}}, "default": {{}}}},
    {{"name": "status", "type": {{"type": "enum", "name": "Status", "symbols": ["OPEN", "CLOSED", "UNKNOWN"], "default": "UNKNOWN"}}}},
    {{"name": "nested", "type": {{"type": "record", "name": "Nested", "fields": [
      {{"name": "a", "type": "string"}},
      {{"name": "b", "type": "double", "default": 0.0}}
    ]}}}}
  ]
}}
"#,
            minor = i % 7
        );
        std::fs::write(dir.join(format!("e{i}.avsc")), text).expect("write avsc");
    }
}

/// A proto-only repo with a herald.toml whose one source owns every event.
pub fn write_proto_events_repo(root: &Path, count: usize) {
    write_proto_repo(root, count);
    std::fs::write(
        root.join("herald.toml"),
        "[repo]\nname = \"bench\"\n\n[sources.protos]\nschemas = [\"proto/e*.proto\"]\n",
    )
    .expect("write herald.toml");
}

/// A repo with both, and a herald.toml declaring one source per format.
pub fn write_mixed_repo(root: &Path, count: usize) {
    write_proto_repo(root, count);
    write_avro_repo(root, count);
    std::fs::write(
        root.join("herald.toml"),
        "[repo]\nname = \"bench\"\n\n[sources.protos]\nschemas = [\"proto/e*.proto\"]\n\n[sources.avros]\nschemas = [\"avro/*.avsc\"]\n",
    )
    .expect("write herald.toml");
}
