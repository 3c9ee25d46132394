//! One typed method per endpoint the back office uses.

use super::client::{Body, Client, Failure, NO_BODY, Reply};
use super::endpoints::*;
use super::types::*;
use crate::domain::money::Currency;

type Result<T> = std::result::Result<Reply<T>, Failure>;

/// History paging and filters (query names INFERRED: `page`, `limit`, `from`, `to`).
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub page: u32,
    pub limit: u32,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl HistoryQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("page", self.page.max(1).to_string()),
            ("limit", self.limit.clamp(1, 500).to_string()),
        ];
        pairs.extend(self.from.clone().map(|v| ("from", v)));
        pairs.extend(self.to.clone().map(|v| ("to", v)));
        pairs
    }
}

impl Client {
    /// A call without a body (reads, deletes, suspend/unsuspend).
    async fn plain<T: serde::de::DeserializeOwned>(&self, endpoint: &Endpoint, params: &[&str]) -> Result<T> {
        self.call(endpoint, params, &[], NO_BODY).await
    }

    /// A call with a JSON body.
    async fn json<T: serde::de::DeserializeOwned, B: serde::Serialize>(
        &self,
        endpoint: &Endpoint,
        params: &[&str],
        body: &B,
    ) -> Result<T> {
        self.call(endpoint, params, &[], Body::Json(body)).await
    }

    async fn history(&self, endpoint: &Endpoint, params: &[&str], query: &HistoryQuery) -> Result<History> {
        let pairs = query.pairs();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.call(endpoint, params, &pairs, NO_BODY).await
    }

    // Partner balances.
    pub async fn partner_balances(&self) -> Result<Balances> {
        self.plain(&PARTNER_BALANCES, &[]).await
    }
    pub async fn partner_transactions(&self, query: &HistoryQuery) -> Result<History> {
        self.history(&PARTNER_TRANSACTIONS, &[], query).await
    }
    pub async fn create_partner_wallet(&self, request: &CreateWallet) -> Result<Wallet> {
        self.json(&PARTNER_CREATE_WALLET, &[], request).await
    }

    // Exchange.
    pub async fn exchange_rates(&self) -> Result<Rates> {
        self.plain(&EXCHANGE_RATES, &[]).await
    }
    pub async fn partner_exchange_lock(&self) -> Result<RateLock> {
        self.plain(&PARTNER_EXCHANGE_LOCK, &[]).await
    }
    pub async fn user_exchange_lock(&self, external_user_id: &str) -> Result<RateLock> {
        self.plain(&USER_EXCHANGE_LOCK, &[external_user_id]).await
    }
    /// The partner's exchange when `request.source_external_user_id` is `None`, else the user's.
    pub async fn exchange(&self, request: &ExchangeRequest) -> Result<ExchangeCreated> {
        let endpoint = if request.source_external_user_id.is_some() {
            &USER_EXCHANGE
        } else {
            &PARTNER_EXCHANGE
        };
        self.json(endpoint, &[], request).await
    }
    pub async fn exchange_details(&self, exchange_id: &str) -> Result<ExchangeDetails> {
        self.plain(&EXCHANGE_DETAILS, &[exchange_id]).await
    }

    // SEPA.
    pub async fn partner_sepa_deposit_info(&self) -> Result<SepaDepositInfo> {
        self.plain(&PARTNER_SEPA_DEPOSIT_INFO, &[]).await
    }
    pub async fn user_sepa_deposit_info(&self, external_user_id: &str) -> Result<SepaDepositInfo> {
        self.plain(&USER_SEPA_DEPOSIT_INFO, &[external_user_id]).await
    }
    pub async fn partner_sepa_contacts(&self) -> Result<Vec<SepaContact>> {
        self.plain(&PARTNER_SEPA_CONTACTS, &[]).await
    }
    pub async fn user_sepa_contacts(&self, external_user_id: &str) -> Result<Vec<SepaContact>> {
        self.plain(&USER_SEPA_CONTACTS, &[external_user_id]).await
    }
    /// From the partner balance when `request.source_external_user_id` is `None`, else the user's.
    pub async fn sepa_transfer(&self, request: &SepaTransferRequest) -> Result<TransferCreated> {
        let endpoint = if request.source_external_user_id.is_some() {
            &USER_SEPA_TRANSFER
        } else {
            &PARTNER_SEPA_TRANSFER
        };
        self.json(endpoint, &[], request).await
    }
    pub async fn sepa_transfer_details(&self, transfer_id: &str) -> Result<SepaTransferDetails> {
        self.plain(&SEPA_TRANSFER_DETAILS, &[transfer_id]).await
    }

    // Crypto.
    pub async fn network_fee(&self, currency: &Currency, network: Option<&str>) -> Result<NetworkFee> {
        let mut query = vec![("currency", currency.code())];
        query.extend(network.map(|n| ("network", n)));
        self.call(&NETWORK_FEE, &[], &query, NO_BODY).await
    }
    pub async fn crypto_withdrawal(&self, request: &CryptoWithdrawalRequest) -> Result<WithdrawalCreated> {
        let endpoint = if request.source_external_user_id.is_some() {
            &USER_CRYPTO_WITHDRAWAL
        } else {
            &PARTNER_CRYPTO_WITHDRAWAL
        };
        self.json(endpoint, &[], request).await
    }
    pub async fn crypto_withdrawal_details(&self, withdrawal_id: &str) -> Result<WithdrawalDetails> {
        self.plain(&CRYPTO_WITHDRAWAL_DETAILS, &[withdrawal_id]).await
    }
    pub async fn update_travel_rule(&self, request: &TravelRuleUpdate) -> Result<Ack> {
        self.json(&TRAVEL_RULE, &[], request).await
    }

    // Users: onboarding and KYC.
    pub async fn create_user(&self, request: &CreateUserRequest) -> Result<UserCreated> {
        self.json(&CREATE_USER, &[], request).await
    }
    /// Method A: identity images, one multipart part per side (`front`, `back`, `selfie`).
    pub async fn add_kyc_file(&self, external_user_id: &str, upload: &FileUpload) -> Result<Ack> {
        self.call(
            &KYC_FILE,
            &[external_user_id],
            &[],
            Body::<()>::Multipart(Box::new(|| upload.form())),
        )
        .await
    }
    pub async fn create_kyc_verification(&self, external_user_id: &str) -> Result<KycVerification> {
        let request = KycVerificationRequest {
            external_user_id: external_user_id.to_owned(),
        };
        self.json(&CREATE_KYC_VERIFICATION, &[], &request).await
    }
    /// Method B's link. P100 answers with an HTML page (REFERENCE §0 C1) or, perhaps, JSON; when
    /// neither names the provider's page, the link is P100's redirect page itself.
    pub async fn kyc_redirect(&self, external_user_id: &str) -> Result<KycRedirect> {
        let params = [external_user_id];
        let reply = self
            .call_reading(&KYC_REDIRECT, &params, &[], NO_BODY, |body| {
                Ok(KycRedirect::target_in(body))
            })
            .await?;
        let url = match reply.value {
            Some(url) => url,
            None => self.url_of(&KYC_REDIRECT, &params).to_string(),
        };
        Ok(Reply {
            value: KycRedirect { url },
            call: reply.call,
        })
    }
    pub async fn kyc_status(&self, external_user_id: &str) -> Result<KycStatus> {
        self.plain(&KYC_STATUS, &[external_user_id]).await
    }
    pub async fn add_verification(&self, request: &AddVerificationRequest) -> Result<Ack> {
        self.json(&ADD_VERIFICATION, &[], request).await
    }
    pub async fn add_poa_file(&self, external_user_id: &str, upload: &FileUpload) -> Result<Ack> {
        self.call(
            &POA_FILE,
            &[external_user_id],
            &[],
            Body::<()>::Multipart(Box::new(|| upload.form())),
        )
        .await
    }

    // Users: account management.
    pub async fn update_user(&self, request: &UpdateUserRequest) -> Result<Ack> {
        self.json(&UPDATE_USER, &[], request).await
    }
    pub async fn delete_user(&self, external_user_id: &str) -> Result<Ack> {
        self.plain(&DELETE_USER, &[external_user_id]).await
    }
    pub async fn suspend_user(&self, external_user_id: &str) -> Result<Ack> {
        self.plain(&SUSPEND_USER, &[external_user_id]).await
    }
    pub async fn unsuspend_user(&self, external_user_id: &str) -> Result<Ack> {
        self.plain(&UNSUSPEND_USER, &[external_user_id]).await
    }

    // Users: balances and history.
    pub async fn user_balances(&self, external_user_id: &str) -> Result<Balances> {
        self.plain(&USER_BALANCES, &[external_user_id]).await
    }
    pub async fn user_transactions(&self, external_user_id: &str, query: &HistoryQuery) -> Result<History> {
        self.history(&USER_TRANSACTIONS, &[external_user_id], query).await
    }

    // Internal transfers.
    pub async fn internal_transfer(&self, request: &InternalTransferRequest) -> Result<TransferCreated> {
        self.json(&CREATE_TRANSFER, &[], request).await
    }
    pub async fn internal_transfer_details(&self, transfer_id: &str) -> Result<InternalTransferDetails> {
        self.plain(&TRANSFER_DETAILS, &[transfer_id]).await
    }

    // Orders and payment links.
    pub async fn order_rates(&self) -> Result<Rates> {
        self.plain(&ORDER_RATES, &[]).await
    }
    pub async fn order_lock(&self, request: &OrderLockRequest) -> Result<OrderLock> {
        self.json(&ORDER_LOCK, &[], request).await
    }
    pub async fn create_order(&self, lock_id: &str) -> Result<OrderCreated> {
        self.json(
            &ORDER_CREATE,
            &[],
            &OrderRequest {
                lock_id: lock_id.to_owned(),
            },
        )
        .await
    }
    pub async fn order_details(&self, order_id: &str) -> Result<OrderDetails> {
        self.plain(&ORDER_DETAILS, &[order_id]).await
    }
    pub async fn payment_link(&self, request: &PaymentLinkRequest) -> Result<PaymentLinkCreated> {
        self.json(&PAYMENT_LINK, &[], request).await
    }
    pub async fn hosted_checkout(&self, request: &PaymentLinkRequest) -> Result<PaymentLinkCreated> {
        self.json(&HOSTED_CHECKOUT, &[], request).await
    }
    pub async fn payment_link_details(&self, payment_link_id: &str) -> Result<PaymentLink> {
        self.plain(&PAYMENT_LINK_DETAILS, &[payment_link_id]).await
    }

    // Cards: the module is suspended upstream (REFERENCE §3.9). Every call answers, with words:
    // while it stays off, with `P100Error::CardsSuspended`.
    pub async fn create_card(&self, request: &NewCard) -> Result<CreatedCard> {
        self.json(&CARD_CREATE, &[], request).await
    }
    pub async fn user_cards(&self, external_user_id: &str) -> Result<CardList> {
        self.plain(&CARD_LIST, &[external_user_id]).await
    }
    pub async fn card_details(&self, external_user_id: &str, card_id: &str) -> Result<CardDetails> {
        self.plain(&CARD_DETAILS, &[external_user_id, card_id]).await
    }
    pub async fn update_card_pin(&self, request: &CardPin) -> Result<Ack> {
        self.json(&CARD_PIN, &[], request).await
    }
    pub async fn block_card(&self, card: &CardRef) -> Result<Ack> {
        self.json(&CARD_BLOCK, &[], card).await
    }
    pub async fn unblock_card(&self, card: &CardRef) -> Result<Ack> {
        self.json(&CARD_UNBLOCK, &[], card).await
    }
    pub async fn card_limits(&self, external_user_id: &str, card_id: &str) -> Result<CardLimits> {
        self.plain(&CARD_LIMITS, &[external_user_id, card_id]).await
    }
    pub async fn update_card_limits(&self, request: &CardLimitsUpdate) -> Result<Ack> {
        self.json(&CARD_UPDATE_LIMITS, &[], request).await
    }
    pub async fn delete_card(&self, card: &CardRef) -> Result<Ack> {
        self.json(&CARD_DELETE, &[], card).await
    }
}

/// An answer with nothing in it that matters (`{}`, empty, or anything else on a 2xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack;

impl<'de> serde::Deserialize<'de> for Ack {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| Ack)
    }
}

/// Files for a multipart upload: the document type and named parts (form field names INFERRED).
#[derive(Debug, Clone)]
pub struct FileUpload {
    pub document_type: Option<DocumentType>,
    pub parts: Vec<FilePart>,
}

#[derive(Debug, Clone)]
pub struct FilePart {
    /// `front`, `back`, `selfie` or `file`.
    pub field: &'static str,
    pub file_name: String,
    pub mime: String,
    pub bytes: bytes::Bytes,
}

impl FileUpload {
    fn form(&self) -> reqwest::multipart::Form {
        let mut form = reqwest::multipart::Form::new();
        if let Some(kind) = &self.document_type {
            form = form.text("documentType", kind.as_str().to_owned());
        }
        for part in &self.parts {
            let file = reqwest::multipart::Part::stream(part.bytes.clone())
                .file_name(part.file_name.clone())
                .mime_str(&part.mime)
                .unwrap_or_else(|_| {
                    reqwest::multipart::Part::stream(part.bytes.clone()).file_name(part.file_name.clone())
                });
            form = form.part(part.field, file);
        }
        form
    }
}
