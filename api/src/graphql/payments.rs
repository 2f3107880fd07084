//! How a registration is settled, as the frontend reads it (the rules: `payments`).

use async_graphql::{Enum, Object};
use entity::payment::{self, Status};

use crate::{graphql::scalars::Timestamp, payments::Payment};

/// How a registration is settled.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "payment::Status")]
pub enum PaymentStatus {
    /// Not settled yet.
    Due,
    /// Paid by the partner.
    Paid,
    /// Not asked for.
    Waived,
    /// Paid by a funder (a training fund, an employer), named in `funder`.
    Funded,
}

/// How a registration to a paid activity is settled.
#[Object]
impl Payment {
    /// Whether it is due, paid, waived or funded.
    async fn status(&self) -> PaymentStatus {
        self.record
            .as_ref()
            .map_or(Status::Due, |r| r.status)
            .into()
    }
    /// The price in cents (when recorded: the price then).
    async fn amount_cents(&self) -> i32 {
        self.amount_cents
    }
    /// Who funded it, when FUNDED.
    async fn funder(&self) -> Option<&str> {
        self.record.as_ref().and_then(|r| r.funder.as_deref())
    }
    /// An invoice, transfer or funding file number.
    async fn reference(&self) -> Option<&str> {
        self.record.as_ref().and_then(|r| r.reference.as_deref())
    }
    /// When staff recorded it; null while nothing is recorded.
    async fn recorded_at(&self) -> Option<Timestamp> {
        self.record.as_ref().map(|r| r.recorded_at.into())
    }
    /// A PAID registration that was cancelled: the money goes back.
    async fn to_refund(&self) -> bool {
        self.to_refund
    }
}
