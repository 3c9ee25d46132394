//! Every P100 endpoint the back office uses: method, path and whether calling it moves money.
//!
//! This is the one place paths live. The client fills these templates and the sandbox routes on
//! them, so correcting a path after checking P100's staging is a one-line change here. Paths the
//! reference marks INFERRED say so; see ../shared/p100-api/REFERENCE.md section 4.

use axum::http::Method;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// What may stand unescaped in a path segment: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// What a retry of the call could do: reads are safe to repeat; writes that move money never are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Read,
    /// Changes something but moves no money (create a user, suspend, lock a rate).
    Write,
    /// Sends, exchanges or transfers money: never re-sent automatically.
    MovesMoney,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// A stable name for logs, audit rows and fault injection, e.g. `partner.balances`.
    pub name: &'static str,
    pub method: Method,
    /// An axum-style template: `{name}` segments are filled in order by `Endpoint::path`.
    pub template: &'static str,
    pub effect: Effect,
}

impl Endpoint {
    /// The path with `params` in its `{...}` segments, each percent-encoded.
    pub fn path(&self, params: &[&str]) -> String {
        let mut path = String::with_capacity(self.template.len() + 40);
        let mut params = params.iter();
        let mut rest = self.template;
        while let Some(open) = rest.find('{') {
            let close = rest[open..]
                .find('}')
                .map(|c| open + c)
                .expect("templates close their braces");
            path.push_str(&rest[..open]);
            let value = params
                .next()
                .unwrap_or_else(|| panic!("{} needs more parameters", self.name));
            path.extend(percent_encoding::utf8_percent_encode(value, SEGMENT));
            rest = &rest[close + 1..];
        }
        path.push_str(rest);
        path
    }
}

macro_rules! endpoints {
    ($($(#[$doc:meta])* $id:ident = $name:literal, $method:ident, $template:literal, $effect:ident;)+) => {
        $(
            $(#[$doc])*
            pub const $id: Endpoint = Endpoint {
                name: $name,
                method: Method::$method,
                template: $template,
                effect: Effect::$effect,
            };
        )+

        /// Every endpoint, for the sandbox's router and the contract test.
        pub const ALL: &[Endpoint] = &[$($id),+];
    };
}

endpoints! {
    // Partner: balances and history.
    PARTNER_BALANCES = "partner.balances", GET, "/v1/partner/balances", Read;
    /// INFERRED path.
    PARTNER_TRANSACTIONS = "partner.transactions", GET, "/v1/partner/transactions", Read;
    /// INFERRED path.
    PARTNER_CREATE_WALLET = "partner.create_wallet", POST, "/v1/partner/wallet", Write;

    // Exchange.
    EXCHANGE_RATES = "exchange.rates", GET, "/v1/exchange/get-rate", Read;
    /// INFERRED path.
    PARTNER_EXCHANGE_LOCK = "partner.exchange_lock", GET, "/v1/partner/exchange/get-lock", Write;
    PARTNER_EXCHANGE = "partner.exchange", POST, "/v1/partner/exchange", MovesMoney;
    USER_EXCHANGE_LOCK = "user.exchange_lock", GET, "/v1/exchange/get-lock/{externalUserId}", Write;
    USER_EXCHANGE = "user.exchange", POST, "/v1/exchange", MovesMoney;
    /// INFERRED path.
    EXCHANGE_DETAILS = "exchange.details", GET, "/v1/exchange/details/{exchangeId}", Read;

    // SEPA.
    PARTNER_SEPA_DEPOSIT_INFO = "partner.sepa_deposit_info", GET, "/v1/partner/sepa-deposit/info", Read;
    /// INFERRED path.
    PARTNER_SEPA_CONTACTS = "partner.sepa_contacts", GET, "/v1/partner/sepa-deposit/contact-list", Read;
    PARTNER_SEPA_TRANSFER = "partner.sepa_transfer", POST, "/v1/partner/sepa-transfer", MovesMoney;
    /// INFERRED path.
    USER_SEPA_DEPOSIT_INFO = "user.sepa_deposit_info", GET, "/v1/sepa-deposit/info/{externalUserId}", Read;
    /// INFERRED path.
    USER_SEPA_CONTACTS = "user.sepa_contacts", GET, "/v1/sepa-deposit/contact-list/{externalUserId}", Read;
    USER_SEPA_TRANSFER = "user.sepa_transfer", POST, "/v1/sepa-transfer", MovesMoney;
    SEPA_TRANSFER_DETAILS = "sepa.details", GET, "/v1/sepa-transfer/details/{transferId}", Read;

    // Crypto withdrawals and deposits.
    NETWORK_FEE = "crypto.network_fee", GET, "/v1/crypto-withdrawal/get-network-fee", Read;
    /// INFERRED path.
    PARTNER_CRYPTO_WITHDRAWAL = "partner.crypto_withdrawal", POST, "/v1/partner/crypto-withdrawal", MovesMoney;
    USER_CRYPTO_WITHDRAWAL = "user.crypto_withdrawal", POST, "/v1/crypto-withdrawal", MovesMoney;
    /// INFERRED path.
    CRYPTO_WITHDRAWAL_DETAILS = "crypto.withdrawal_details", GET, "/v1/crypto-withdrawal/details/{withdrawalId}", Read;
    /// INFERRED method and path.
    TRAVEL_RULE = "crypto.travel_rule", PATCH, "/v1/crypto-deposit/travel-rule", Write;

    // Users: onboarding and KYC.
    CREATE_USER = "user.create", POST, "/v1/user/balances/crypto-and-fiat", Write;
    /// Multipart; form field names INFERRED.
    KYC_FILE = "user.kyc_file", POST, "/v1/user/kyc-files/{externalUserId}", Write;
    /// Body INFERRED.
    CREATE_KYC_VERIFICATION = "kyc.create", POST, "/v1/kyc", Write;
    /// INFERRED path.
    KYC_REDIRECT = "kyc.redirect", GET, "/v1/kyc/redirect/{externalUserId}", Read;
    KYC_STATUS = "kyc.status", GET, "/v1/kyc/status/{externalUserId}", Read;
    /// Body INFERRED.
    ADD_VERIFICATION = "user.verification", POST, "/v1/user/verification", Write;
    /// Multipart.
    POA_FILE = "user.poa_file", POST, "/v1/user/poa-files/{externalUserId}", Write;

    // Users: account management (paths INFERRED).
    UPDATE_USER = "user.update", PATCH, "/v1/user", Write;
    DELETE_USER = "user.delete", DELETE, "/v1/user/{externalUserId}", Write;
    SUSPEND_USER = "user.suspend", PATCH, "/v1/user/suspend/{externalUserId}", Write;
    UNSUSPEND_USER = "user.unsuspend", PATCH, "/v1/user/unsuspend/{externalUserId}", Write;

    // Users: balances and history. The FAQ writes `/v1/user/balances/{externalUserId}` instead;
    // the older docs and a client calling staging use this form.
    USER_BALANCES = "user.balances", GET, "/v1/user/{externalUserId}/balances", Read;
    /// INFERRED path.
    USER_TRANSACTIONS = "user.transactions", GET, "/v1/user/{externalUserId}/transactions", Read;

    // Internal transfers (paths INFERRED).
    CREATE_TRANSFER = "transfer.create", POST, "/v1/transfer", MovesMoney;
    TRANSFER_DETAILS = "transfer.details", GET, "/v1/transfer/details/{transferId}", Read;

    // Orders.
    /// INFERRED path.
    ORDER_RATES = "order.rates", GET, "/v1/order/rates", Read;
    ORDER_LOCK = "order.lock", POST, "/v1/order/lock-rate", Write;
    ORDER_CREATE = "order.create", POST, "/v1/order", MovesMoney;
    ORDER_DETAILS = "order.details", GET, "/v1/order/details/{orderId}", Read;

    // Payment links (paths INFERRED).
    PAYMENT_LINK = "payment_link.create", POST, "/v1/payment-link", Write;
    HOSTED_CHECKOUT = "payment_link.hosted_checkout", POST, "/v1/payment-link/hosted-checkout", Write;
    PAYMENT_LINK_DETAILS = "payment_link.details", GET, "/v1/payment-link/details/{paymentLinkId}", Read;

    // Virtual cards: the module is suspended upstream (REFERENCE §3.9); typed so each call answers
    // with words, never a crash. Only Get Card Details is documented; the other paths are INFERRED.
    CARD_CREATE = "card.create", POST, "/v1/card/virtual", Write;
    CARD_LIST = "card.list", GET, "/v1/card/all/{externalUserId}", Read;
    CARD_DETAILS = "card.details", GET, "/v1/card/details/{externalUserId}/{cardId}", Read;
    CARD_PIN = "card.pin", PATCH, "/v1/card/pin", Write;
    CARD_BLOCK = "card.block", PATCH, "/v1/card/block", Write;
    CARD_UNBLOCK = "card.unblock", PATCH, "/v1/card/unblock", Write;
    CARD_LIMITS = "card.limits", GET, "/v1/card/limits/{externalUserId}/{cardId}", Read;
    CARD_UPDATE_LIMITS = "card.update_limits", PATCH, "/v1/card/limits", Write;
    CARD_DELETE = "card.delete", DELETE, "/v1/card", Write;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fill_and_encode_their_parameters() {
        assert_eq!(USER_BALANCES.path(&["u-1"]), "/v1/user/u-1/balances");
        assert_eq!(CARD_DETAILS.path(&["u 1", "c/2"]), "/v1/card/details/u%201/c%2F2");
        assert_eq!(PARTNER_BALANCES.path(&[]), "/v1/partner/balances");
    }

    #[test]
    fn names_are_unique_and_money_moves_only_by_post() {
        let mut names: Vec<&str> = ALL.iter().map(|e| e.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert!(
            ALL.iter()
                .filter(|e| e.effect == Effect::MovesMoney)
                .all(|e| e.method == Method::POST)
        );
    }
}
