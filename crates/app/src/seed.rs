//! Bulk seeding of logged-in customers for benchmarks and the demo world: the same rows as
//! [`App::seed_customer`], many per transaction. Never routed to from the API.

use cardlife_customers::{Phone, Session, SessionGeneration};
use cardlife_kernel::{CustomerId, Secret};
use cardlife_store::seed::{SeedCustomer, seed_customers};

use crate::{App, AppError};

/// A seeded customer and their session token (shown once).
#[derive(Debug)]
pub struct SeededCustomer {
    /// The customer.
    pub id: CustomerId,
    /// The bearer token of their session.
    pub token: Secret<String>,
}

fn entropy(buf: &mut [u8]) {
    rand::fill(buf);
}

impl App {
    /// Registers every phone (none may be registered yet) without a code and starts one session
    /// each; answers once all are durable.
    pub async fn seed_customers(&self, phones: &[String]) -> Result<Vec<SeededCustomer>, AppError> {
        let now = self.clock().now();
        let mut rows = Vec::with_capacity(phones.len());
        let mut seeded = Vec::with_capacity(phones.len());
        for phone in phones {
            let phone = Phone::parse(phone)?;
            let id = CustomerId::generate();
            let (session, token) =
                Session::start(id, SessionGeneration::default(), now, &mut entropy);
            rows.push(SeedCustomer {
                id,
                phone_lookup: self.phone_lookup_token(&phone),
                phone_masked: phone.masked(),
                session,
            });
            seeded.push(SeededCustomer {
                id,
                token: token.reveal(),
            });
        }
        seed_customers(self.db(), &rows).await?;
        Ok(seeded)
    }
}
