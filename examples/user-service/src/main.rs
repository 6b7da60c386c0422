//! The user service of a game back-end: it publishes `UserUpdated` (partitioned by user id) and
//! subscribes to the accounting service's `BankError` to flag the affected player.

use std::sync::Mutex;

use herald_runtime::{Context, Envelope, Event, HandlerResult, RecordingPublisher};

herald_runtime::include_events!(mod events);

use events::accounting::types::{BankError, BankErrorOperation, BankTransfer, Severity};
use events::user_service::types::{Profile, UserUpdated};
use events::{accounting, user_service};

/// Reacts to bank errors: remembers which accounts need attention.
#[derive(Default)]
struct BankErrors {
    flagged: Mutex<Vec<String>>,
}

impl accounting::Handler for BankErrors {
    async fn on_bank_error(&self, ctx: &Context, event: BankError) -> HandlerResult {
        println!(
            "bank error {} on account {} ({}), severity {}",
            event.code,
            event.account_id,
            ctx.id(),
            event.severity.as_str()
        );
        self.flagged
            .lock()
            .map_err(|_| herald_runtime::HandlerError::msg("poisoned"))?
            .push(event.account_id);
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    futures_executor::block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    // Publish two updates for one player and one for another.
    let transport = RecordingPublisher::new();
    let publisher = user_service::Publisher::new(&transport);
    for (user, name) in [("u-1", "Ada"), ("u-2", "Grace"), ("u-1", "Ada L.")] {
        let event = UserUpdated {
            user_id: user.into(),
            profile: Some(Profile {
                display_name: name.into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        publisher.publish_user_updated(&event).await?;
    }
    for (topic, envelope) in transport.sent() {
        let event = UserUpdated::decode(&envelope.data)?;
        println!(
            "published {} v{} to {topic} key {:?}: {}",
            envelope.event_type,
            envelope.version,
            envelope.partition_key.as_deref().unwrap_or_default(),
            event.profile.map(|p| p.display_name).unwrap_or_default()
        );
    }

    // A BankError arrives from accounting: the generated dispatcher decodes and routes it.
    let error = BankError {
        error_id: herald_runtime::uuid::Uuid::new_v4(),
        account_id: "acc-42".into(),
        occurred_at: herald_runtime::chrono::Utc::now(),
        severity: Severity::Error,
        code: "INSUFFICIENT_FUNDS".into(),
        message: None,
        operation: BankErrorOperation::BankTransfer(BankTransfer {
            iban: "DE02120300000000202051".into(),
            amount: "99.95".parse()?,
        }),
        related_transaction_ids: Vec::new(),
        context: Default::default(),
    };
    let envelope = Envelope::wrap(&error, "accounting")?;
    let dispatcher = accounting::Dispatcher::new(BankErrors::default());
    dispatcher.dispatch(&Context::from_envelope(envelope)).await?;
    let flagged = dispatcher
        .handler()
        .flagged
        .lock()
        .map(|f| f.clone())
        .unwrap_or_default();
    assert_eq!(flagged, ["acc-42"]);
    assert_eq!(transport.sent().len(), 3);
    println!("user-service: 3 updates published, {} account flagged", flagged.len());
    Ok(())
}
