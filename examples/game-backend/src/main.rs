//! A game back-end on the embedded transport: the user service publishes `UserUpdated`
//! partitioned by user id; the leaderboard (callback style) and the marketplace (actor style)
//! consume it in their own consumer groups. Every group sees every update, and each player's
//! updates arrive in the order they were published.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald_runtime::{Consumer, ConsumerConfig, InMemoryTransport, Metrics, Publisher, Reliability};

use herald_runtime::{Context, HandlerError, HandlerResult};

herald_runtime::include_events!(mod events);

use events::user_service;
use events::user_service::types::UserUpdated;

const PLAYERS: usize = 10;
const UPDATES_PER_PLAYER: usize = 30;

/// Sequence number carried in each update, to check order.
fn sequence(event: &UserUpdated) -> usize {
    event
        .attributes
        .get("seq")
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX)
}

/// Leaderboard: remembers each player's latest update and refuses one that arrives out of order.
#[derive(Default)]
struct Leaderboard {
    last: Mutex<HashMap<String, usize>>,
}

impl user_service::Handler for Leaderboard {
    async fn on_user_updated(&self, _ctx: &Context, event: UserUpdated) -> HandlerResult {
        let seq = sequence(&event);
        let mut last = self.last.lock().map_err(|_| HandlerError::msg("poisoned"))?;
        let previous = last.insert(event.user_id.clone(), seq);
        if previous.is_some_and(|p| p + 1 != seq) || (previous.is_none() && seq != 0) {
            return Err(HandlerError::msg(format!(
                "{} out of order: {previous:?} then {seq}",
                event.user_id
            )));
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let transport = InMemoryTransport::default();
    let total = PLAYERS * UPDATES_PER_PLAYER;

    // The user service publishes, interleaving players.
    let publisher = user_service::Publisher::new(Publisher::new(
        transport.clone(),
        Reliability::AtLeastOnce { retries: 3 },
    ));
    for seq in 0..UPDATES_PER_PLAYER {
        for player in 0..PLAYERS {
            let mut event = UserUpdated {
                user_id: format!("player-{player}"),
                ..Default::default()
            };
            event.attributes.insert("seq".into(), seq.to_string());
            publisher.publish_user_updated(&event).await?;
        }
    }
    println!("user-service: published {total} UserUpdated events for {PLAYERS} players");

    // Leaderboard: callback style, its own group.
    let leaderboard = Consumer::new(
        transport.clone(),
        user_service::Dispatcher::new(Leaderboard::default()),
        ConsumerConfig::new("leaderboard", [user_service::TOPIC]),
    );
    let leaderboard_metrics = leaderboard.metrics();

    // Marketplace: actor style, its own group; one task owns the state and matches on messages.
    let (mailbox, mut letters) = user_service::mailbox(64);
    let marketplace = Consumer::new(
        transport.clone(),
        mailbox,
        ConsumerConfig::new("marketplace", [user_service::TOPIC]),
    );
    let marketplace_metrics = marketplace.metrics();
    let actor = tokio::spawn(async move {
        let mut per_player: HashMap<String, Vec<usize>> = HashMap::new();
        while let Some(letter) = letters.recv().await {
            match &letter.event {
                user_service::UserServiceEvent::UserUpdated(e) => {
                    per_player.entry(e.user_id.clone()).or_default().push(sequence(e));
                }
            }
            letter.ack(Ok(()));
        }
        per_player
    });

    let done = |m: Arc<Metrics>| async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while (Metrics::get(&m.handled) as usize) < total && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let (a, b) = tokio::join!(
        leaderboard.run(done(Arc::clone(&leaderboard_metrics))),
        marketplace.run(done(Arc::clone(&marketplace_metrics)))
    );
    a?;
    b?;
    let per_player = actor.await?;

    let (handled_l, handled_m) = (
        Metrics::get(&leaderboard_metrics.handled),
        Metrics::get(&marketplace_metrics.handled),
    );
    println!(
        "leaderboard: handled {handled_l}, retried {}",
        Metrics::get(&leaderboard_metrics.retried)
    );
    println!("marketplace: handled {handled_m} (actor style)");
    assert_eq!(handled_l as usize, total, "the leaderboard group got every update");
    assert_eq!(handled_m as usize, total, "the marketplace group got every update");
    assert_eq!(
        Metrics::get(&leaderboard_metrics.retried),
        0,
        "no update arrived out of order"
    );
    for (player, seqs) in &per_player {
        assert_eq!(
            seqs,
            &(0..UPDATES_PER_PLAYER).collect::<Vec<_>>(),
            "{player} out of order in the marketplace"
        );
    }
    println!("per-player order held in both groups for all {PLAYERS} players");
    Ok(())
}
