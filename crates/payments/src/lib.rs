//! Payments: merchants, QR codes and pay codes, payment orders, refunds, MDR and settlement.
//!
//! - [`qr`]: the EMVCo merchant-presented QR payload (TLV with a CRC-16/CCITT-FALSE in tag 63).

pub mod qr;
