//! The OpenAPI document of every route, served at `/openapi.json`.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::dto::{
    AccountFlagName, AccountView, BalanceList, BalanceView, BatchResults, CheckReport, EventResult,
    Health, HoldStatus, NewAccount, NewTransfer, TransferFlagName, TransferList, TransferView,
    ViolationView,
};
use crate::problem::Problem;
use crate::routes::{ledger, ops};

/// The document. Errors are `application/problem+json` ([`Problem`]) with a stable `code`.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "cardlife",
        description = "The cardlife platform API. The internal ledger API under /v1/ledger takes \
            `Authorization: Bearer <internal token>`. Batch POSTs answer 200 with one result per \
            event; a transfer's id is its idempotency key. Errors are application/problem+json \
            with a stable `code`."
    ),
    paths(
        ops::health,
        ops::metrics,
        ops::openapi,
        ledger::create_accounts,
        ledger::create_transfers,
        ledger::account,
        ledger::transfer,
        ledger::account_transfers,
        ledger::account_balances,
        ledger::check,
    ),
    components(schemas(
        Problem, Health, NewAccount, NewTransfer, AccountFlagName, TransferFlagName, HoldStatus,
        BatchResults, EventResult, AccountView, TransferView, TransferList, BalanceView, BalanceList,
        CheckReport, ViolationView,
    )),
    modifiers(&InternalToken),
    tags(
        (name = "ledger", description = "The double-entry ledger (internal)"),
        (name = "ops", description = "Health, metrics and this document"),
    )
)]
pub struct ApiDoc;

/// The whole document: the core above and each context's part.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::routes::customers::CustomersApi::openapi());
    doc.merge(crate::routes::consents::ConsentsApi::openapi());
    doc.merge(crate::routes::identity::IdentityApi::openapi());
    doc.merge(crate::routes::card_binding::CardBindingApi::openapi());
    doc.merge(crate::routes::quotes::QuotesApi::openapi());
    doc.merge(crate::routes::credit_doc::CreditApi::openapi());
    doc.merge(crate::routes::credit_installments::InstallmentsApi::openapi());
    doc.merge(crate::routes::merchants::MerchantsApi::openapi());
    doc.merge(crate::routes::loans::LoansApi::openapi());
    doc.merge(crate::routes::flash_sales::FlashSalesApi::openapi());
    doc.merge(crate::routes::coupons::CouponsApi::openapi());
    doc.merge(crate::routes::lotteries::LotteriesApi::openapi());
    doc.merge(crate::routes::points::PointsApi::openapi());
    doc.merge(crate::routes::mall::MallApi::openapi());
    doc.merge(crate::routes::group_buys::GroupBuysApi::openapi());
    doc.merge(crate::routes::membership::MembershipApi::openapi());
    doc.merge(crate::routes::referral::ReferralApi::openapi());
    doc.merge(crate::routes::settlement::SettlementApi::openapi());
    doc.merge(crate::routes::webhooks::WebhooksApi::openapi());
    doc.merge(crate::routes::cashier_incentives::CashierIncentivesApi::openapi());
    doc.merge(crate::routes::merchant_installments::MerchantInstallmentsApi::openapi());
    doc.merge(crate::routes::special_installments::SpecialLimitsApi::openapi());
    doc.merge(crate::routes::risk::RiskApi::openapi());
    doc
}

/// Declares the `internal_token` and `session` bearer schemes the routes name.
struct InternalToken;

impl Modify for InternalToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "internal_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "merchant_signature",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::new("Cardlife-Signature"),
            )),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use cardlife_app::ledger::{AMOUNT_MAX, PAGE_SIZE_MAX};

    use super::*;

    fn document() -> serde_json::Value {
        serde_json::to_value(ApiDoc::openapi()).unwrap()
    }

    #[test]
    fn the_documented_page_size_limit_is_the_enforced_one() {
        let doc = document();
        let params = doc["paths"]["/v1/ledger/accounts/{id}/transfers"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(limit["schema"]["maximum"], u64::from(PAGE_SIZE_MAX));
    }

    #[test]
    fn the_documented_amount_range_is_the_enforced_one() {
        let doc = document();
        let amount = &doc["components"]["schemas"]["NewTransfer"]["properties"]["amount"];
        assert_eq!(
            (amount["minimum"].as_u64(), amount["maximum"].as_u64()),
            (Some(0), Some(AMOUNT_MAX))
        );
    }
}
