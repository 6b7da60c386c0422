//! Tests over the generated code of the example schema repo, one binary: bad input end to end
//! through the consumer, and the generated protobuf decode against prost's.

mod bad_input;
mod protobuf_decode;
