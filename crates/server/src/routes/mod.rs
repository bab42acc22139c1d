//! The route table. Every handler names its authentication extractor in its signature.

pub(crate) mod card_binding;
pub(crate) mod cashier_incentives;
pub(crate) mod consents;
pub(crate) mod coupons;
pub(crate) mod credit;
pub(crate) mod credit_doc;
pub(crate) mod credit_installments;
pub(crate) mod credit_internal;
pub(crate) mod customers;
pub(crate) mod dev_clock;
pub(crate) mod flash_sales;
pub(crate) mod group_buys;
pub(crate) mod idempotent;
pub(crate) mod identity;
pub(crate) mod ledger;
pub(crate) mod loan_codes;
pub(crate) mod loans;
pub(crate) mod lotteries;
pub(crate) mod mall;
pub(crate) mod membership;
pub(crate) mod merchant_installments;
pub(crate) mod merchants;
pub(crate) mod ops;
pub(crate) mod points;
pub(crate) mod quotes;
pub(crate) mod referral;
pub(crate) mod risk;
pub(crate) mod segment_in;
pub(crate) mod settlement;
pub(crate) mod special_installments;
pub(crate) mod webhooks;

use axum::Router;
use axum::routing::{delete, get, post, put};

use crate::AppState;
use crate::problem::ApiError;

/// Every route, with problem+json answers for unknown paths and methods.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .route("/v1/ledger/accounts", post(ledger::create_accounts))
        .route("/v1/ledger/transfers", post(ledger::create_transfers))
        .route("/v1/ledger/accounts/{id}", get(ledger::account))
        .route("/v1/ledger/transfers/{id}", get(ledger::transfer))
        .route(
            "/v1/ledger/accounts/{id}/transfers",
            get(ledger::account_transfers),
        )
        .route(
            "/v1/ledger/accounts/{id}/balances",
            get(ledger::account_balances),
        )
        .route("/v1/ledger/check", get(ledger::check))
        .route("/v1/credit/accounts", get(credit::accounts))
        .route("/v1/credit/accounts/{id}", get(credit::account))
        .route("/v1/credit/accounts/{id}/cards", get(credit::cards))
        .route(
            "/v1/credit/accounts/{id}/statements",
            get(credit::statements),
        )
        .route(
            "/v1/credit/accounts/{id}/statements/{date}",
            get(credit::statement),
        )
        .route("/v1/credit/accounts/{id}/repayments", post(credit::repay))
        .route(
            "/v1/credit/accounts/{id}/installments/purchases",
            get(credit_installments::purchases),
        )
        .route(
            "/v1/credit/accounts/{id}/installments/terms",
            get(credit_installments::terms),
        )
        .route(
            "/v1/credit/accounts/{id}/installments/quotes",
            post(credit_installments::quote),
        )
        .route(
            "/v1/credit/accounts/{id}/installments",
            post(credit_installments::book).get(credit_installments::list),
        )
        .route(
            "/v1/credit/accounts/{id}/installments/{plan}/settlement",
            post(credit_installments::settle),
        )
        .route(
            "/v1/credit/accounts/{id}/cash-advances",
            post(credit::cash_advance),
        )
        .route(
            "/v1/internal/credit/accounts",
            post(credit_internal::open_account),
        )
        .route(
            "/v1/internal/credit/accounts/{id}",
            get(credit_internal::account),
        )
        .route(
            "/v1/internal/credit/accounts/{id}/refunds",
            post(credit_internal::refund),
        )
        .route(
            "/v1/internal/credit/accounts/{id}/temp-limit",
            post(credit_internal::temp_limit),
        )
        .route(
            "/v1/internal/credit/accounts/{id}/status",
            post(credit_internal::set_status),
        )
        .route(
            "/v1/internal/credit/authorisations",
            post(credit_internal::authorise),
        )
        .route(
            "/v1/internal/credit/authorisations/{id}",
            get(credit_internal::authorisation),
        )
        .route(
            "/v1/internal/credit/authorisations/{id}/capture",
            post(credit_internal::capture),
        )
        .route(
            "/v1/internal/credit/authorisations/{id}/reversal",
            post(credit_internal::reverse),
        )
        .route(
            "/v1/internal/credit/close-day",
            post(credit_internal::close_day),
        )
        .route("/v1/quotes/installment", post(quotes::installment))
        .route("/v1/quotes/loan", post(quotes::loan))
        .route("/v1/otp", post(customers::send_code))
        .route("/v1/customers", post(customers::register))
        .route("/v1/sessions", post(customers::login))
        .route("/v1/sessions/current", delete(customers::logout))
        .route("/v1/sessions/current/rotate", post(customers::rotate))
        .route("/v1/me", get(customers::me))
        .route("/v1/me/consents", get(consents::list).post(consents::grant))
        .route("/v1/me/consents/{kind}", delete(consents::withdraw))
        .route(
            "/v1/me/real-name",
            get(identity::real_name)
                .put(identity::set_real_name)
                .delete(identity::erase_real_name),
        )
        .route("/v1/me/devices", get(identity::devices))
        .route(
            "/v1/me/credit-cards",
            get(card_binding::list).post(card_binding::bind),
        )
        .route("/v1/me/devices/{id}", delete(identity::remove_device))
        .route(
            "/v1/me/logout-everywhere",
            post(customers::logout_everywhere),
        )
        .route("/v1/merchant-applications", post(merchants::apply))
        .route("/v1/internal/operators", post(merchants::create_operator))
        .route("/v1/operator/sessions", post(merchants::operator_login))
        .route("/v1/operator/audit", get(merchants::audit))
        .route("/v1/operator/risk-decisions", get(risk::decisions))
        .route(
            "/v1/operator/merchants/review-queue",
            get(merchants::review_queue),
        )
        .route(
            "/v1/operator/merchants/{id}/approve",
            post(merchants::approve),
        )
        .route(
            "/v1/operator/merchants/{id}/reject",
            post(merchants::reject),
        )
        .route(
            "/v1/operator/merchants/{id}/suspend",
            post(merchants::suspend),
        )
        .route(
            "/v1/operator/merchants/{id}/fee-schedules/{payment_type}",
            put(merchants::set_fee_schedule),
        )
        .route("/v1/merchant/me", get(merchants::merchant_me))
        .route("/v1/merchant/keys/rotate", post(merchants::rotate_key))
        .route("/v1/merchant/stores", post(merchants::add_store))
        .route(
            "/v1/merchant/stores/{id}/cashiers",
            post(merchants::add_cashier),
        )
        .route("/v1/merchant/qr/static", post(merchants::static_code))
        .route(
            "/v1/merchant/orders",
            post(merchants::create_order).get(merchants::list_orders),
        )
        .route("/v1/merchant/orders/{id}", get(merchants::get_order))
        .route("/v1/merchant/orders/{id}/refunds", post(merchants::refund))
        .route(
            "/v1/merchant/pay-code-charges",
            post(merchants::charge_pay_code),
        )
        .route(
            "/v1/merchant/orders/{id}/cancel",
            post(settlement::cancel_order),
        )
        .route("/v1/merchant/settlements", get(settlement::list))
        .route(
            "/v1/merchant/settlements/{date}/reconciliation.csv",
            get(settlement::reconciliation),
        )
        .route("/v1/internal/settlement/run", post(settlement::run))
        .route("/v1/internal/payments/recover", post(settlement::recover))
        .route(
            "/v1/merchant/webhook",
            axum::routing::put(webhooks::set).get(webhooks::get),
        )
        .route("/v1/merchant/webhook-events", get(webhooks::events))
        .route(
            "/v1/merchant/cashier-rewards",
            get(cashier_incentives::rewards),
        )
        .route(
            "/v1/operator/cashier-incentives",
            post(cashier_incentives::create).get(cashier_incentives::running),
        )
        .route(
            "/v1/merchant/installment-terms",
            axum::routing::put(merchant_installments::set).get(merchant_installments::get),
        )
        .route("/v1/internal/webhooks/deliver", post(webhooks::deliver))
        .route("/v1/qr/scan", post(merchants::scan))
        .route("/v1/qr/pay", post(merchants::pay))
        .route("/v1/me/pay-code", get(merchants::my_pay_code))
        .route(
            "/v1/me/debit-cards",
            post(loans::bind_debit_card).get(loans::debit_cards),
        )
        .route("/v1/loans/offer", get(loans::offer))
        .route("/v1/me/offers", get(loans::pre_approved))
        .route("/v1/loans/quotes", post(loans::quote))
        .route("/v1/loans", post(loans::book).get(loans::list))
        .route("/v1/loans/{id}", get(loans::get))
        .route("/v1/loans/{id}/repayments", post(loans::repay))
        .route("/v1/loans/{id}/prepayments", post(loans::prepay))
        .route("/v1/credit-lines", post(loans::open_line).get(loans::lines))
        .route("/v1/credit-lines/{id}", get(loans::line))
        .route("/v1/credit-lines/{id}/draws", post(loans::draw))
        .route("/v1/credit-lines/{id}/repayments", post(loans::repay_line))
        .route("/v1/internal/loans/close-day", post(loans::close_day))
        .route(
            "/v1/flash-sales",
            get(flash_sales::sales).post(flash_sales::schedule),
        )
        .route("/v1/flash-sales/{id}", get(flash_sales::sale))
        .route("/v1/flash-sales/{id}/claims", post(flash_sales::claim))
        .route(
            "/v1/operator/coupon-templates",
            post(coupons::create_template).get(coupons::templates),
        )
        .route(
            "/v1/operator/campaigns",
            post(coupons::create_campaign).get(coupons::calendar),
        )
        .route("/v1/coupons/claimable", get(coupons::claimable))
        .route("/v1/coupons/claimable/{id}/claims", post(coupons::claim))
        .route("/v1/me/coupons", get(coupons::mine))
        .route(
            "/v1/operator/lotteries",
            post(lotteries::create).get(lotteries::list),
        )
        .route("/v1/operator/lotteries/{id}/draws", get(lotteries::draws))
        .route("/v1/me/lotteries", get(lotteries::mine))
        .route("/v1/me/lotteries/{id}/draws", post(lotteries::draw))
        .route("/v1/me/points", get(points::mine))
        .route("/v1/internal/points/expiry-runs", post(points::run_expiry))
        .route("/v1/operator/group-buys", post(group_buys::create_offer))
        .route("/v1/group-buys", get(group_buys::board))
        .route("/v1/group-buys/{id}/groups", post(group_buys::start))
        .route("/v1/group-buy-groups/{id}/members", post(group_buys::join))
        .route("/v1/me/group-buys", get(group_buys::mine))
        .route("/v1/me/group-buys/{id}", get(group_buys::my_group))
        .route("/v1/internal/group-buys/settle", post(group_buys::settle))
        .route("/v1/mall/items", post(mall::list_item).get(mall::items))
        .route("/v1/mall/items/{id}", get(mall::item))
        .route("/v1/mall/orders", post(mall::order))
        .route("/v1/me/mall/orders", get(mall::my_orders))
        .route("/v1/me/mall/orders/{id}", get(mall::my_order))
        .route("/v1/me/mall/orders/{id}/refunds", post(mall::refund))
        .route("/v1/me/membership", get(membership::mine))
        .route("/v1/me/referral", get(referral::mine))
        .route("/v1/me/referral/binding", post(referral::bind))
        .route("/v1/membership/programme", get(membership::programme))
        .route(
            "/v1/internal/membership/programme",
            put(membership::set_programme),
        )
        .route(
            "/v1/internal/customers/{id}/membership/evaluations",
            post(membership::evaluate),
        )
        .route(
            "/v1/credit/accounts/{id}/special-limits",
            get(special_installments::list),
        )
        .route(
            "/v1/operator/credit/accounts/{id}/special-limits/{purpose}",
            put(special_installments::grant_as_operator),
        )
        .route(
            "/v1/internal/credit/accounts/{id}/special-limits/{purpose}",
            put(special_installments::grant_internal),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn no_route() -> ApiError {
    ApiError::NoRoute
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
