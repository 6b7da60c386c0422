//! Actor style: a [`Mailbox`] is a [`Dispatch`] that hands each decoded event, as a [`Letter`], to
//! one task that owns its state and `match`es on the source's event enum.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

use crate::context::Context;
use crate::dispatch::{Dispatch, DispatchError};

/// One event handed to an actor by a [`Mailbox`]: the actor handles it, then acknowledges; the
/// offset is committed only after the acknowledgement.
#[derive(Debug)]
pub struct Letter<E> {
    pub ctx: Context,
    pub event: E,
    ack: oneshot::Sender<crate::HandlerResult>,
}

impl<E> Letter<E> {
    /// Reports the outcome; a failure is retried or dead-lettered like a handler's.
    pub fn ack(self, result: crate::HandlerResult) {
        let _ = self.ack.send(result);
    }
}

/// Actor style: a [`Dispatch`] that decodes into the source's event enum and sends it to one task
/// that owns its state and `match`es on messages.
pub struct Mailbox<E> {
    decode: fn(&Context) -> Result<E, DispatchError>,
    types: &'static [&'static str],
    tx: mpsc::Sender<Letter<E>>,
}

/// A mailbox and the receiving end the actor loops over.
pub fn mailbox<E: Send + 'static>(
    decode: fn(&Context) -> Result<E, DispatchError>,
    types: &'static [&'static str],
    capacity: usize,
) -> (Mailbox<E>, mpsc::Receiver<Letter<E>>) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    (Mailbox { decode, types, tx }, rx)
}

impl<E: Send + 'static> Dispatch for Mailbox<E> {
    fn event_types(&self) -> &'static [&'static str] {
        self.types
    }

    fn dispatch(&self, ctx: &Context) -> impl Future<Output = Result<(), DispatchError>> + Send {
        let decoded = (self.decode)(ctx);
        let event_type = ctx.event_type().to_owned();
        let ctx = ctx.clone();
        let tx = self.tx.clone();
        async move {
            let event = decoded?;
            let (ack, done) = oneshot::channel();
            let handler_error = |why: &str| DispatchError::Handler {
                event_type: event_type.clone(),
                error: crate::HandlerError::msg(why),
            };
            tx.send(Letter { ctx, event, ack })
                .await
                .map_err(|_| handler_error("the actor has stopped"))?;
            match done.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(DispatchError::Handler { event_type, error }),
                Err(_) => Err(handler_error("the actor dropped the letter without an answer")),
            }
        }
    }
}
