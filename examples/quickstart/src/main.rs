//! A shop service: publishes `OrderPlaced` and handles `PaymentReceived`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use herald_runtime::{
    Consumer, ConsumerConfig, Context, HandlerResult, InMemoryTransport, Publish, Publisher, Reliability,
};

// Everything herald generated, in one module: one module per source inside it.
herald_runtime::include_events!(mod events);

use events::orders::types::{LineItem, OrderPlaced, OrderStatus};
use events::payments::types::{PaymentMethod, PaymentReceived};
use events::{orders, payments};

/// Handles the payments events this service subscribes to: one method per event, no defaults.
struct Payments {
    paid: Arc<AtomicUsize>,
}

impl payments::Handler for Payments {
    async fn on_payment_received(&self, ctx: &Context, event: PaymentReceived) -> HandlerResult {
        println!(
            "order {} paid: {} cents by {:?} (event {})",
            event.order_id,
            event.amount_cents,
            event.method,
            ctx.id()
        );
        self.paid.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The in-memory broker; herald_runtime::kafka::KafkaTransport (feature "kafka") on Kafka.
    let transport = InMemoryTransport::default();
    let publisher = Publisher::new(transport.clone(), Reliability::AtLeastOnce { retries: 3 });

    // Typed publishing: envelope, topic and partition key come from the schema.
    let orders = orders::Publisher::new(publisher.clone());
    for n in 1..=3 {
        let mut order = OrderPlaced {
            order_id: format!("o-{n}"),
            items: vec![LineItem { sku: "sku-42".into(), quantity: n }],
            ..Default::default()
        };
        order.set_status(OrderStatus::Placed);
        orders.publish_order_placed(&order).await?;
    }

    // The payments service would publish these; the same publisher stands in for it here.
    for n in 1..=3 {
        let payment = PaymentReceived {
            order_id: format!("o-{n}"),
            amount_cents: 1999 * i64::from(n),
            method: PaymentMethod::Card,
        };
        publisher.publish(payments::SOURCE, &payment, None).await?;
    }

    // The consumer loop: the generated dispatcher hands each record to the handler; offsets are
    // committed once handled, failures retried, then dead-lettered.
    let paid = Arc::new(AtomicUsize::new(0));
    let consumer = Consumer::new(
        transport.clone(),
        payments::Dispatcher::new(Payments { paid: Arc::clone(&paid) }),
        ConsumerConfig::new("shop", [payments::TOPIC]),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(consumer.run(async {
        stopped.await.ok();
    }));
    tokio::time::timeout(Duration::from_secs(10), async {
        while paid.load(Ordering::SeqCst) < 3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await?;
    stop.send(()).ok();
    running.await??; // drains what is in flight and commits it
    println!(
        "published {} orders, handled {} payments",
        transport.records(orders::TOPIC).len(),
        paid.load(Ordering::SeqCst)
    );
    Ok(())
}
