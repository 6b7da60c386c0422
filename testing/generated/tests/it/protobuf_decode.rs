//! The generated protobuf `decode` (prost's `merge` from the payload slice into a default message)
//! against prost's own `Message::decode`, which it replaces for speed: on a payload with every
//! field set, each of its truncations and each of its single-bit corruptions, both give the same
//! event or both refuse with the same reason.

use herald_generated_tests::proto::acme::user::v1 as proto;
use herald_generated_tests::user_service::types::UserUpdated;
use herald_runtime::prost::Message;
use herald_runtime::Event;

/// A `UserUpdated` with every field set: strings, a timestamp, a repeated enum, nested messages,
/// a repeated message, a oneof and a map.
fn full() -> UserUpdated {
    use proto::user_updated::{ChangeKind, StatusChange, Suspension};
    let timestamp = |seconds: i64| herald_runtime::prost_types::Timestamp { seconds, nanos: 5_000 };
    UserUpdated {
        user_id: "user-00000042".into(),
        updated_at: Some(timestamp(1_795_000_000)),
        changes: vec![ChangeKind::Profile as i32, ChangeKind::Status as i32],
        profile: Some(proto::Profile {
            display_name: "Grizzled Vanguard".into(),
            avatar_url: "https://cdn.example.com/a.png".into(),
            country_code: "DE".into(),
            locale: "de-DE".into(),
        }),
        wallet_balances: vec![
            proto::Money {
                currency_code: "EUR".into(),
                amount_minor: 12_999,
            },
            proto::Money {
                currency_code: "GBP".into(),
                amount_minor: -300,
            },
        ],
        status_change: Some(StatusChange::Suspended(Suspension {
            reason: "chargeback".into(),
            until: Some(timestamp(1_795_604_800)),
        })),
        attributes: [("cohort", "b"), ("region", "eu")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    }
}

/// Both decoders on `bytes`: the same event, or the same refusal.
fn agree(bytes: &[u8]) -> bool {
    let generated = <UserUpdated as Event>::decode(bytes).map_err(|e| e.to_string());
    let prost = <UserUpdated as Message>::decode(bytes).map_err(|e| herald_runtime::CodecError::from(e).to_string());
    generated == prost
}

#[test]
fn generated_decode_reads_what_prost_reads() {
    let bytes = full().encode_to_vec();
    assert_eq!(<UserUpdated as Event>::decode(&bytes).ok(), Some(full()));
    let mut refused = 0;
    for end in 0..bytes.len() {
        assert!(agree(&bytes[..end]), "truncated to {end} bytes");
        refused += usize::from(<UserUpdated as Event>::decode(&bytes[..end]).is_err());
    }
    let mut changed = bytes.clone();
    for at in 0..bytes.len() {
        for bit in 0..8 {
            changed[at] ^= 1 << bit;
            assert!(agree(&changed), "bit {bit} of byte {at} flipped");
            refused += usize::from(<UserUpdated as Event>::decode(&changed).is_err());
            changed[at] ^= 1 << bit;
        }
    }
    // The comparison covered refusals, not only payloads both read.
    assert!(
        refused > bytes.len(),
        "only {refused} of the changed payloads were refused"
    );
}
