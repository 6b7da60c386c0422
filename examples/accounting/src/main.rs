//! Accounting on the embedded transport: a `BankError` event is broadcast to every interested
//! service (each in its own consumer group), while a `DeleteAccount` command is handled by
//! exactly one of two instances of the customer service (one group, two members that split the
//! partitions). Each deletion publishes `AccountClosed`, caused by the command.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald_runtime::{Consumer, ConsumerConfig, InMemoryTransport, Metrics, Publisher, Reliability};

use herald_runtime::{chrono, uuid, Context, HandlerError, HandlerResult, Publish};

herald_runtime::include_events!(mod events);

use events::accounting;
use events::accounting::types::{self as schema, AccountClosed, BankError, DeleteAccount};

const ERRORS: usize = 5;
const COMMANDS: usize = 20;

/// A service interested in bank errors.
#[derive(Default)]
struct Watcher {
    seen: Mutex<Vec<String>>,
}

impl accounting::Handler for Watcher {
    async fn on_bank_error(&self, _ctx: &Context, event: BankError) -> HandlerResult {
        self.seen
            .lock()
            .map_err(|_| HandlerError::msg("poisoned"))?
            .push(event.code);
        Ok(())
    }
}

/// One instance of the customer service: deletes accounts, announces it.
struct CustomerService {
    instance: &'static str,
    handled: Arc<Mutex<BTreeMap<String, &'static str>>>,
    publisher: accounting::Publisher<Publisher<InMemoryTransport>>,
}

impl accounting::CommandHandler for CustomerService {
    async fn on_delete_account(&self, ctx: &Context, command: DeleteAccount) -> HandlerResult {
        let previous = self
            .handled
            .lock()
            .map_err(|_| HandlerError::msg("poisoned"))?
            .insert(command.command_id.to_string(), self.instance);
        if previous.is_some() {
            return Err(HandlerError::msg("command handled twice"));
        }
        let closed = AccountClosed {
            account_id: command.account_id.clone(),
            closed_at: chrono::Utc::now(),
            holder: schema::AccountHolder {
                holder_id: "h-1".into(),
                full_name: "A. Holder".into(),
                emails: Vec::new(),
            },
            final_balance: "0.00".parse().map_err(HandlerError::from)?,
            balances_by_currency: Default::default(),
        };
        self.publisher.publish_account_closed_caused_by(&closed, ctx).await?;
        Ok(())
    }
}

/// The accounting topic carries events and commands; each group handles the types it routes and
/// skips the others (counted in `Metrics::skipped`, not dead-lettered: they are not for it).
fn subscriber(group: &str) -> ConsumerConfig {
    let mut config = ConsumerConfig::new(group, [accounting::TOPIC]);
    config.on_unknown = herald_runtime::Policy::Skip;
    config
}

async fn until(m: Arc<Metrics>, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while (Metrics::get(&m.handled) as usize) < n && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A `BankError` as a producer still on the released 1.0 schema writes it: the writer schema comes
/// from `herald.lock` through the generated `AVRO_WRITERS`, the datum lacks 1.1's `context` field.
fn written_by_1_0(error: &BankError) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    use herald_runtime::apache_avro::{self, types::Value, Schema};
    use herald_runtime::Event;
    let (fp, text) = BankError::AVRO_WRITERS
        .iter()
        .find(|(fp, _)| *fp != BankError::SCHEMA_FINGERPRINT)
        .ok_or("herald.lock has no released BankError 1.0")?;
    let old = Schema::parse_str(text)?;
    // The datum as the current schema reads it, minus the field 1.0 does not have.
    let current = BankError::avro_schema()?;
    let bytes = error.encode()?;
    let reader = apache_avro::reader::datum::GenericDatumReader::builder(current).build()?;
    let Value::Record(mut fields) = reader.read_value(&mut &bytes[10..])? else {
        return Err("BankError does not read as a record".into());
    };
    fields.retain(|(name, _)| name != "context");
    let datum = apache_avro::writer::datum::GenericDatumWriter::builder(&old)
        .build()?
        .write_value_to_vec(Value::Record(fields))?;
    let mut payload = vec![0xC3, 0x01];
    payload.extend_from_slice(&fp.to_le_bytes());
    payload.extend_from_slice(&datum);
    Ok(payload)
}

/// Schema evolution in the codec: a 1.1 reader decodes what a 1.0 writer wrote (the missing field
/// takes its default) and refuses a payload whose writer schema it does not know.
fn read_released_versions() -> Result<(), Box<dyn std::error::Error>> {
    use herald_runtime::Event;
    let error = BankError {
        error_id: uuid::Uuid::new_v4(),
        account_id: "acc-old".into(),
        occurred_at: chrono::DateTime::from_timestamp_millis(1_700_000_000_000).ok_or("timestamp")?,
        severity: schema::Severity::Warning,
        code: "LIMIT".into(),
        message: Some("written by a 1.0 producer".into()),
        operation: schema::BankErrorOperation::BankTransfer(schema::BankTransfer {
            iban: "DE02120300000000202051".into(),
            amount: "99.95".parse()?,
        }),
        related_transaction_ids: vec![uuid::Uuid::new_v4().to_string()],
        context: [("not".to_owned(), "in 1.0".to_owned())].into(),
    };
    let mut payload = written_by_1_0(&error)?;
    let read = BankError::decode(&payload)?;
    assert_eq!(
        read,
        BankError {
            context: Default::default(),
            ..error
        },
        "1.0 data read by the 1.1 type"
    );
    println!(
        "codec: a BankError written with the released 1.0 schema reads as 1.1 ({} writer schemas known)",
        BankError::AVRO_WRITERS.len()
    );
    payload[2] ^= 0xff;
    let unknown = BankError::decode(&payload)
        .err()
        .ok_or("an unknown fingerprint was accepted")?;
    assert!(
        unknown.to_string().contains("unknown writer schema fingerprint"),
        "{unknown}"
    );
    println!("codec: an unknown writer fingerprint is refused: {unknown}");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    read_released_versions()?;
    let transport = InMemoryTransport::default();
    let publisher = accounting::Publisher::new(Publisher::new(
        transport.clone(),
        Reliability::AtLeastOnce { retries: 3 },
    ));

    // Broadcast: every interested service's group receives every BankError.
    for i in 0..ERRORS {
        let error = BankError {
            error_id: uuid::Uuid::new_v4(),
            account_id: format!("acc-{i}"),
            occurred_at: chrono::Utc::now(),
            severity: schema::Severity::Error,
            code: format!("E{i}"),
            message: None,
            operation: schema::BankErrorOperation::CardPayment(schema::CardPayment {
                card_last4: "4242".into(),
                amount: "12.50".parse()?,
            }),
            related_transaction_ids: Vec::new(),
            context: Default::default(),
        };
        publisher.publish_bank_error(&error).await?;
    }
    let mut watchers = Vec::new();
    for group in ["fraud-monitor", "support-desk"] {
        let consumer = Consumer::new(
            transport.clone(),
            accounting::Dispatcher::new(Watcher::default()),
            subscriber(group),
        );
        let m = consumer.metrics();
        consumer.run(until(Arc::clone(&m), ERRORS)).await?;
        println!(
            "{group}: received {} BankError events (skipped {} records of other types)",
            Metrics::get(&m.handled),
            Metrics::get(&m.skipped)
        );
        watchers.push(Metrics::get(&m.handled) as usize);
    }
    assert_eq!(watchers, [ERRORS, ERRORS], "every group gets every BankError");

    // Point to point: two instances of the customer service share one group.
    // The support desk is not the owner of these commands; it sends them through the generic
    // `Publish::publish`, naming itself as the source.
    let support_desk = Publisher::new(transport.clone(), Reliability::AtLeastOnce { retries: 3 });
    for i in 0..COMMANDS {
        let command = DeleteAccount {
            command_id: uuid::Uuid::new_v4(),
            account_id: format!("acc-{i}"),
            requested_at: chrono::Utc::now(),
            reason: schema::DeletionReason::UserRequest,
            requested_by: Some("support".into()),
            payout_iban: None,
            labels: Default::default(),
        };
        support_desk.publish("support-desk", &command, None).await?;
    }
    let handled = Arc::new(Mutex::new(BTreeMap::new()));
    let instance = |name: &'static str| {
        let service = CustomerService {
            instance: name,
            handled: Arc::clone(&handled),
            publisher: accounting::Publisher::new(Publisher::new(
                transport.clone(),
                Reliability::AtLeastOnce { retries: 3 },
            )),
        };
        Consumer::new(
            transport.clone(),
            accounting::CommandDispatcher::new(service),
            subscriber("customer-service"),
        )
    };
    let (one, two) = (instance("instance-1"), instance("instance-2"));
    let handled_count = Arc::clone(&handled);
    let all_done = move || {
        let handled = Arc::clone(&handled_count);
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            while handled.lock().map(|h| h.len()).unwrap_or(0) < COMMANDS && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    let (a, b) = tokio::join!(one.run(all_done()), two.run(all_done()));
    a?;
    b?;
    let handled = handled.lock().map(|h| h.clone()).unwrap_or_default();
    let by_instance = |name| handled.values().filter(|v| **v == name).count();
    println!(
        "customer-service: {} DeleteAccount commands, each handled once ({} by instance-1, {} by instance-2)",
        handled.len(),
        by_instance("instance-1"),
        by_instance("instance-2")
    );
    assert_eq!(handled.len(), COMMANDS);

    // Each deletion announced AccountClosed, correlated with its command.
    let closed: Vec<_> = transport
        .records(accounting::TOPIC)
        .into_iter()
        .filter_map(|r| herald_runtime::Envelope::from_record(&r).ok())
        .filter(|e| e.event_type == "acme.accounting.AccountClosed")
        .collect();
    assert_eq!(closed.len(), COMMANDS);
    assert!(closed.iter().all(|e| e.causation_id.is_some()));
    println!(
        "accounting: {} AccountClosed events published, each caused by its command",
        closed.len()
    );
    Ok(())
}
