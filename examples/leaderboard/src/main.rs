//! A leaderboard service: subscribes to the user service's `UserUpdated` and keeps each player's
//! latest display name, both callback style (handler trait) and actor style (`match` on the enum).

use std::collections::BTreeMap;
use std::sync::Mutex;

use herald_runtime::{Context, Envelope, HandlerResult};

// The bare form: `mod events`.
herald_runtime::include_events!();

use events::user_service;
use events::user_service::types::{Profile, UserUpdated};

#[derive(Default)]
struct Names {
    by_user: Mutex<BTreeMap<String, String>>,
}

impl user_service::Handler for Names {
    async fn on_user_updated(&self, _ctx: &Context, event: UserUpdated) -> HandlerResult {
        let name = event.profile.map(|p| p.display_name).unwrap_or_default();
        self.by_user
            .lock()
            .map_err(|_| herald_runtime::HandlerError::msg("poisoned"))?
            .insert(event.user_id, name);
        Ok(())
    }
}

fn update(user: &str, name: &str) -> Result<Envelope, herald_runtime::CodecError> {
    let event = UserUpdated {
        user_id: user.into(),
        profile: Some(Profile {
            display_name: name.into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    Envelope::wrap(&event, "user-service")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    futures_executor::block_on(async {
        let envelopes = [update("u-1", "Ada")?, update("u-2", "Grace")?, update("u-1", "Ada L.")?];

        // Callback style: the dispatcher calls the handler trait.
        let dispatcher = user_service::Dispatcher::new(Names::default());
        for envelope in &envelopes {
            dispatcher.dispatch(&Context::from_envelope(envelope.clone())).await?;
        }
        let names = dispatcher
            .handler()
            .by_user
            .lock()
            .map(|n| n.clone())
            .unwrap_or_default();
        println!("leaderboard (callback style): {names:?}");
        assert_eq!(names.get("u-1").map(String::as_str), Some("Ada L."));

        // Actor style: decode into the source's enum and match.
        let mut updates = 0;
        for envelope in &envelopes {
            match user_service::decode(&Context::from_envelope(envelope.clone()))? {
                user_service::UserServiceEvent::UserUpdated(e) => {
                    updates += 1;
                    println!("actor got update for {}", e.user_id);
                }
            }
        }
        assert_eq!(updates, 3);

        // An event type this service never subscribed to is a typed error, not a crash.
        let mut unknown = envelopes[0].clone();
        unknown.event_type = "acme.user.v1.UserDeleted".into();
        let err = dispatcher
            .dispatch(&Context::from_envelope(unknown))
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        println!("unknown type: {err}");
        assert!(err.contains("no handler"));
        Ok(())
    })
}
