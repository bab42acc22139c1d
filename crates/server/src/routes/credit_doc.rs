//! The credit part of the OpenAPI document: the cardholder routes (session bearer token) and
//! the operator and network routes (internal token), with their wire types.

use utoipa::OpenApi;

use crate::credit_dto::{
    AccountDto, AccountList, AmountRequest, AuthorisationDto, AuthoriseRequest, CardDto, CardList,
    CloseDayRequest, CloseDayResult, OpenAccountRequest, StatementDto, StatementLineDto,
    StatementList, TempLimitRequest,
};
use crate::routes::credit_internal::{ReversalRequest, StatusActionName, StatusRequest};
use crate::routes::{credit, credit_internal};

/// Credit accounts, cards, statements, repayments, cash advances and authorisations.
#[derive(OpenApi)]
#[openapi(
    paths(
        credit::accounts,
        credit::account,
        credit::cards,
        credit::statements,
        credit::statement,
        credit::repay,
        credit::cash_advance,
        credit_internal::open_account,
        credit_internal::account,
        credit_internal::authorise,
        credit_internal::authorisation,
        credit_internal::capture,
        credit_internal::reverse,
        credit_internal::refund,
        credit_internal::set_status,
        credit_internal::temp_limit,
        credit_internal::close_day,
    ),
    components(schemas(
        OpenAccountRequest, AmountRequest, AuthoriseRequest, CloseDayRequest, CloseDayResult,
        ReversalRequest, AccountDto, AccountList, CardDto, CardList, StatementDto,
        StatementLineDto, StatementList, AuthorisationDto, StatusRequest, StatusActionName, TempLimitRequest,
    )),
    tags(
        (name = "credit", description = "A cardholder's credit accounts, cards, statements, \
            repayments and cash advances (session bearer token; another customer's account \
            answers 404). Money-moving POSTs take an Idempotency-Key."),
        (name = "credit-internal", description = "Opening accounts, network authorisations \
            with capture and reversal, refunds, status and the daily close (internal token)."),
    )
)]
pub(crate) struct CreditApi;
