//! The webhooks P100 sends (../shared/p100-api/WEBHOOKS.md): their routes under the base URL the
//! partner registers, and how to tell them apart. The sandbox sends to these routes and the
//! intake receives on them, so both change together here.

/// One kind of event. Only the user-status and POA routes are documented; the rest are INFERRED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    UserStatus,
    UserBalanceGeneration,
    KycFileAdded,
    KycStatus,
    PoaStatus,
    SepaTransfer,
    CryptoWithdrawal,
    CryptoDeposit,
    IbanStatus,
    Card3ds,
    /// INFERRED: WEBHOOKS.md found no exchange webhook; the intake follows one if P100 sends it.
    Exchange,
    /// INFERRED: the internal (P2P) transfer webhook, like the exchange one.
    Transfer,
}

impl Route {
    pub const ALL: [Route; 12] = [
        Route::UserStatus,
        Route::UserBalanceGeneration,
        Route::KycFileAdded,
        Route::KycStatus,
        Route::PoaStatus,
        Route::SepaTransfer,
        Route::CryptoWithdrawal,
        Route::CryptoDeposit,
        Route::IbanStatus,
        Route::Card3ds,
        Route::Exchange,
        Route::Transfer,
    ];

    /// The path under the registered base, without a leading slash.
    pub fn path(self) -> &'static str {
        match self {
            Route::UserStatus => "webhook/user/status",
            Route::UserBalanceGeneration => "webhook/user/balance-generation",
            Route::KycFileAdded => "webhook/kyc-file/added",
            Route::KycStatus => "webhook/kyc-verification/status",
            Route::PoaStatus => "webhook/poa-verification/status",
            Route::SepaTransfer => "webhook/sepa-transfer",
            Route::CryptoWithdrawal => "webhook/crypto-withdrawal",
            Route::CryptoDeposit => "webhook/crypto-deposit",
            Route::IbanStatus => "webhook/iban/status",
            Route::Card3ds => "webhook/card/3ds",
            Route::Exchange => "webhook/exchange",
            Route::Transfer => "webhook/transfer",
        }
    }

    /// The kind name stored with each event.
    pub fn kind(self) -> &'static str {
        match self {
            Route::UserStatus => "user_status",
            Route::UserBalanceGeneration => "user_balance_generation",
            Route::KycFileAdded => "kyc_file_added",
            Route::KycStatus => "kyc_status",
            Route::PoaStatus => "poa_status",
            Route::SepaTransfer => "sepa_transfer",
            Route::CryptoWithdrawal => "crypto_withdrawal",
            Route::CryptoDeposit => "crypto_deposit",
            Route::IbanStatus => "iban_status",
            Route::Card3ds => "card_3ds",
            Route::Exchange => "exchange",
            Route::Transfer => "transfer",
        }
    }

    /// The route an event was stored as (`kind`).
    pub fn of_kind(kind: &str) -> Option<Route> {
        Route::ALL.into_iter().find(|r| r.kind() == kind)
    }

    pub fn from_path(path: &str) -> Option<Route> {
        let path = path.trim_matches('/');
        Route::ALL.into_iter().find(|r| r.path() == path)
    }

    /// When everything arrives on one URL, the payload's keys tell the kind (WEBHOOKS.md section 5).
    pub fn from_payload(payload: &serde_json::Value) -> Option<Route> {
        let has = |key: &str| payload.get(key).is_some();
        if has("exchangeId") {
            Some(Route::Exchange)
        } else if has("transferId") {
            Some(Route::Transfer)
        } else if has("cryptoDepositId") {
            Some(Route::CryptoDeposit)
        } else if has("verificationStatus") {
            Some(Route::KycStatus)
        } else if has("transferTitle") || has("destinationIban") {
            Some(Route::SepaTransfer)
        } else if has("walletAddress") {
            Some(Route::CryptoWithdrawal)
        } else if has("iban") && has("status") {
            Some(Route::IbanStatus)
        } else if has("cardId") {
            Some(Route::Card3ds)
        } else if has("externalUserId") && has("status") {
            Some(Route::UserStatus)
        } else {
            None
        }
    }
}

/// What an event is about: the movement it names, else the user. Reconciliation finds a
/// movement's events by this, the webhook log filters on it.
pub fn subject_of(event: &serde_json::Value) -> Option<String> {
    [
        "exchangeId",
        "transferId",
        "withdrawalId",
        "cryptoDepositId",
        "id",
        "externalUserId",
    ]
    .iter()
    .find_map(|k| event.get(*k).and_then(serde_json::Value::as_str))
    .map(str::to_owned)
}

/// The event itself: P100's flat payload, or the FAQ's `{ "event_type", "data" }` envelope opened.
pub fn unwrap_envelope(payload: serde_json::Value) -> serde_json::Value {
    match payload {
        serde_json::Value::Object(mut map) if map.contains_key("event_type") && map.contains_key("data") => {
            map.remove("data").unwrap_or_default()
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routes_round_trip_and_payloads_are_recognised() {
        for route in Route::ALL {
            assert_eq!(Route::from_path(&format!("/{}", route.path())), Some(route));
            assert_eq!(Route::of_kind(route.kind()), Some(route));
        }
        let faq = json!({ "event_type": "crypto_deposit.status_changed", "data": { "cryptoDepositId": "dep_123", "status": "WAITING_FOR_TR_DATA" } });
        let event = unwrap_envelope(faq);
        assert_eq!(Route::from_payload(&event), Some(Route::CryptoDeposit));
        assert_eq!(
            Route::from_payload(&json!({ "externalUserId": "u", "status": "ACTIVE" })),
            Some(Route::UserStatus)
        );
        assert_eq!(
            Route::from_payload(&json!({ "id": "x", "transferTitle": "t", "status": "SUCCESSFUL" })),
            Some(Route::SepaTransfer)
        );
        assert_eq!(
            subject_of(&json!({ "externalUserId": "u-1", "transferId": "t-1" })).as_deref(),
            Some("t-1")
        );
        assert_eq!(
            subject_of(&json!({ "externalUserId": "u-1", "status": "ACTIVE" })).as_deref(),
            Some("u-1")
        );
        assert_eq!(subject_of(&json!({ "status": "ACTIVE" })), None);
    }
}
