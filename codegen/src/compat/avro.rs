//! Avro schema resolution (reader vs writer), per the Avro specification. Being written.
