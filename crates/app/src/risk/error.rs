//! What the risk use cases refuse with.

/// A refusal of the risk context.
#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    /// A deny rule matched; the payment changed nothing but its decision record. The reasons
    /// are for operators: the payer is told only that risk rules declined.
    #[error("declined by risk rules")]
    Declined {
        /// The fired reason codes, comma-separated.
        reasons: String,
    },
    /// The outcome filter is not `allow`, `review` or `deny`.
    #[error("unknown outcome filter")]
    UnknownOutcome,
}
