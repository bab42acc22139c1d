//! Points a lottery draw awarded, credited exactly once (docs/rewards.md, "Lotteries").
//!
//! The draw's transaction records the prize as owed (`lottery_points_owed`) next to the draw
//! itself, so a draw that committed always leaves either the credit or the debt behind. Right
//! after the commit the points are credited and the row deleted; a credit that fails, or a
//! process that stops in between, leaves the row for [`App::pay_owed_lottery_points`], which the
//! periodic jobs run. The credit is a `lottery` points movement referenced by the draw id: its
//! `UNIQUE (kind, reference)` row and its points-ledger transfer id (derived from the same pair)
//! make a second credit of one draw impossible, so running the sweep again — after a credit that
//! committed but whose row was not deleted — changes nothing but the row.

use cardlife_store::rewards::lottery::OwedPointsRecord;
use jiff::SignedDuration;

use crate::{App, AppError};

/// Points movements of lottery prizes are recorded under this kind.
pub(crate) const POINTS_KIND: &str = "lottery";
/// How long a debt is left to the credit right after its draw before the sweep takes it.
pub const OWED_GRACE: SignedDuration = SignedDuration::from_secs(60);
/// The most debts one sweep pays.
pub const OWED_BATCH: u32 = 200;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OwedPointsReport {
    /// Draws whose points are now credited (or were already: the row is gone either way).
    pub paid: u32,
    /// Draws whose credit failed again; still owed.
    pub failed: u32,
}

impl App {
    /// Credits what draw `owed.draw` owes, then forgets the debt.
    pub(crate) async fn pay_owed_points(&self, owed: &OwedPointsRecord) -> Result<(), AppError> {
        let reference = owed.draw.to_string();
        self.credit_points(owed.customer, POINTS_KIND, &reference, owed.points)
            .await?;
        self.lottery_store().points_paid(owed.draw).await?;
        Ok(())
    }

    /// [`Self::pay_owed_points`] right after a draw; a failure is logged and the debt stays
    /// for the sweep.
    pub(crate) async fn pay_owed_points_logged(&self, owed: &OwedPointsRecord) {
        if let Err(e) = self.pay_owed_points(owed).await {
            tracing::error!(error = %e, draw = %owed.draw, "lottery points owed, not yet credited");
        }
    }

    /// The sweep: pays the points owed since before now − [`OWED_GRACE`], oldest first, at most
    /// [`OWED_BATCH`]. A credit that fails again is logged and stays owed; the others go on.
    /// Safe to run concurrently with draws and with itself.
    pub async fn pay_owed_lottery_points(&self) -> Result<OwedPointsReport, AppError> {
        let now = self.clock().now();
        let before = now.checked_sub(OWED_GRACE).unwrap_or(now);
        let mut report = OwedPointsReport::default();
        for owed in self.lottery_store().owed_before(before, OWED_BATCH).await? {
            match self.pay_owed_points(&owed).await {
                Ok(()) => report.paid += 1,
                Err(e) => {
                    tracing::warn!(error = %e, draw = %owed.draw, "lottery points still owed");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }
}
