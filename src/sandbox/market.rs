//! The sandbox's market: a mid-market value that moves deterministically, the spread P100 quotes
//! around it, the execution of exchanges at a lock's rates, network settings and fees. Its pricing
//! is its own, written apart from the app's, so the app's quote is checked against an independent
//! answer.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;

use crate::domain::money::Currency;
use crate::p100::types::{DepositLimits, NetworkConfig, Num, Rates, WithdrawalLimits};

/// EUR value of one unit at the top of each hour.
fn base_rate(currency: &Currency) -> Decimal {
    match currency {
        Currency::Eur => dec!(1),
        Currency::Btc => dec!(55647.81453411),
        Currency::Eth => dec!(2188.45355799),
        Currency::Ltc => dec!(59.23864178),
        Currency::Doge => dec!(0.09853434),
        Currency::Pol => dec!(0.35312008),
        Currency::Usdc => dec!(0.914372),
        Currency::Usdt => dec!(0.914208),
        Currency::Eurt => dec!(0.993082),
        Currency::Unknown(_) => Decimal::ZERO,
    }
}

/// Half of the bid/ask spread around the mid: 0.25% on volatile coins, 0.1% on stablecoins.
fn half_spread(currency: &Currency) -> Decimal {
    match currency {
        Currency::Eur | Currency::Unknown(_) => Decimal::ZERO,
        Currency::Usdc | Currency::Usdt | Currency::Eurt => dec!(0.001),
        _ => dec!(0.0025),
    }
}

/// The mid-market EUR value of one unit at `unix_seconds`: a triangle wave of +-1% over 20
/// minutes, shifted per currency. Integer arithmetic only, so the same second always gives the
/// same value.
fn mid(currency: &Currency, unix_seconds: i64) -> Decimal {
    if matches!(currency, Currency::Eur) {
        return Decimal::ONE;
    }
    let shift = currency.code().bytes().map(i64::from).sum::<i64>() * 37;
    let phase = (unix_seconds / 60 + shift).rem_euclid(20); // 0..20
    let wave = if phase < 10 { phase } else { 20 - phase } - 5; // -5..=5
    let factor = Decimal::ONE + Decimal::new(wave * 2, 3); // +-1%
    (base_rate(currency) * factor)
        .round_dp_with_strategy(8, RoundingStrategy::MidpointNearestEven)
        .normalize()
}

/// The EUR value P100 quotes for one unit at `unix_seconds`: its bid, the mid less half the
/// spread, rounded down to 8 places. P100's sheet holds one value per currency for both directions
/// of an exchange, so the spread shows against EUR. Balances, the rates endpoints and every lock
/// quote this one market; an exchange then executes at the lock's values, with nothing added.
pub fn rate(currency: &Currency, unix_seconds: i64) -> Decimal {
    (mid(currency, unix_seconds) * (Decimal::ONE - half_spread(currency)))
        .round_dp_with_strategy(8, RoundingStrategy::ToZero)
        .normalize()
}

/// The whole sheet at `unix_seconds`, as the rates endpoints and a rate lock return it.
pub fn rates(unix_seconds: i64) -> Rates {
    Currency::KNOWN
        .iter()
        .map(|c| (c.clone(), Num(rate(c, unix_seconds).into())))
        .collect()
}

/// Standard exchange fee, in percent (REFERENCE.md 1.9).
pub const EXCHANGE_FEE_PERCENT: Decimal = dec!(1.49);

/// What an exchange executed at a lock's rates delivers: the cross rate (units of `to` per unit of
/// `from`), P100's fee and the proceeds, both in `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    pub rate: Decimal,
    pub fee: Decimal,
    pub proceeds: Decimal,
}

/// Exchanges `amount` of `from` into `to` at the lock's `rates` (EUR per unit) and fee percentage.
/// The cross rate comes first (P100 reports it in the exchange's details) and the gross is the
/// amount at it; the fee is `fee_percent` of the gross, rounded up to `to`'s decimals, and the
/// proceeds are the gross less the fee, rounded down, so rounding never gives money away. The
/// app prices a lock the same way on its side; the two must agree to the last decimal. `None` when
/// the sheet has no value for either currency.
pub fn execute(amount: Decimal, rates: &Rates, from: &Currency, to: &Currency, fee_percent: Decimal) -> Option<Fill> {
    let eur_value = |currency: &Currency| {
        rates
            .get(currency)
            .map(|value| value.0.get())
            .filter(|value| !value.is_zero())
    };
    let rate = eur_value(from)?.checked_div(eur_value(to)?)?;
    let gross = amount.checked_mul(rate)?;
    let fee =
        (gross * fee_percent / Decimal::ONE_HUNDRED).round_dp_with_strategy(to.scale(), RoundingStrategy::AwayFromZero);
    let proceeds = (gross - fee).round_dp_with_strategy(to.scale(), RoundingStrategy::ToZero);
    Some(Fill { rate, fee, proceeds })
}

/// SEPA payout fee: 0.1%, at least EUR 1.00.
pub fn sepa_fee(amount: Decimal) -> Decimal {
    (amount * dec!(0.001))
        .round_dp_with_strategy(2, RoundingStrategy::AwayFromZero)
        .max(dec!(1.00))
}

/// The networks a currency can be withdrawn on, with P100's service fee and minimum.
pub fn networks(currency: &Currency) -> Vec<(&'static str, &'static str, Decimal, Decimal)> {
    // (network key, staging chain name, service fee, minimum withdrawal)
    match currency {
        Currency::Btc => vec![("btc", "test", dec!(0.0003), dec!(0.001))],
        Currency::Eth => vec![("ethereum", "sepolia", dec!(0.003), dec!(0.01))],
        Currency::Ltc => vec![("ltc", "test", dec!(0.002), dec!(0.05))],
        Currency::Doge => vec![("dogecoin", "test", dec!(5), dec!(50))],
        Currency::Pol => vec![("polygon", "amoy", dec!(0.5), dec!(5))],
        Currency::Usdc | Currency::Usdt => {
            vec![
                ("ethereum", "sepolia", dec!(10), dec!(15)),
                ("polygon", "amoy", dec!(0.5), dec!(5)),
            ]
        }
        Currency::Eurt => vec![("ethereum", "sepolia", dec!(5), dec!(10))],
        Currency::Eur | Currency::Unknown(_) => vec![],
    }
}

pub fn network_config(currency: &Currency) -> BTreeMap<String, NetworkConfig> {
    networks(currency)
        .into_iter()
        .map(|(key, chain, fee, min)| {
            let config = NetworkConfig {
                mainnet: false,
                name: chain.to_owned(),
                withdrawal: Some(WithdrawalLimits {
                    fee_withdrawal: Num(fee.into()),
                    min_withdrawal: Num(min.into()),
                }),
                deposit: Some(DepositLimits {
                    min_deposit: Num((min / dec!(2)).into()),
                }),
            };
            (key.to_owned(), config)
        })
        .collect()
}

/// The variable blockchain fee, deterministic per currency and network.
pub fn network_fee(currency: &Currency, network: &str) -> Decimal {
    match (currency, network) {
        (Currency::Btc, _) => dec!(0.000469),
        (Currency::Eth, _) => dec!(0.00042),
        (Currency::Ltc, _) => dec!(0.0001),
        (Currency::Doge, _) => dec!(1),
        (Currency::Pol, _) | (_, "polygon") => dec!(0.01),
        _ => dec!(2.5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_rates_are_deterministic_and_stay_within_one_percent() {
        for currency in Currency::KNOWN {
            let base = base_rate(&currency);
            for t in (0..7200).step_by(60) {
                let r = mid(&currency, t);
                assert_eq!(r, mid(&currency, t));
                assert!(
                    (r - base).abs() <= base / dec!(100) + dec!(0.00000001),
                    "{currency} at {t}: {r}"
                );
            }
        }
        assert_eq!(mid(&Currency::Eur, 123), Decimal::ONE);
    }

    #[test]
    fn quotes_are_the_bid_below_the_mid() {
        // At 240 s BTC's wave is at its centre: the mid is the base value, and the quote is
        // 55647.81453411 x (1 - 0.0025) = 55508.694997774725, rounded down to 8 places.
        assert_eq!(mid(&Currency::Btc, 240), dec!(55647.81453411));
        assert_eq!(rate(&Currency::Btc, 240), dec!(55508.69499777));
        assert_eq!(rate(&Currency::Eur, 240), Decimal::ONE);
        for currency in Currency::KNOWN.iter().filter(|c| !c.is_fiat()) {
            assert!(rate(currency, 240) < mid(currency, 240), "{currency}");
        }
    }

    /// Worked by hand from a lock's sheet, so a pricing change on either side (the app prices the
    /// same lock in `server::exchanges`) is caught by this test or by the integration tests.
    #[test]
    fn exchanges_execute_at_the_lock_with_its_fee() {
        let sheet: Rates = [
            (Currency::Eur, dec!(1)),
            (Currency::Btc, dec!(55508.69499777)),
            (Currency::Eth, dec!(2182.98242409)),
        ]
        .into_iter()
        .map(|(currency, value)| (currency, Num(value.into())))
        .collect();

        // 0.01 BTC -> EUR: gross 555.0869499777; fee 1.49% = 8.2707955546... -> 8.28 (up);
        // proceeds 546.8069499777 -> 546.80 (down).
        let sell = execute(dec!(0.01), &sheet, &Currency::Btc, &Currency::Eur, dec!(1.49)).unwrap();
        assert_eq!(sell.rate, dec!(55508.69499777));
        assert_eq!((sell.fee, sell.proceeds), (dec!(8.28), dec!(546.80)));

        // 250 EUR -> ETH: rate 1 / 2182.98242409 = 0.000458088892...; gross 0.1145222230...;
        // fee 0.0017063811228... -> 0.00170639; proceeds 0.1128158330... -> 0.11281583.
        let buy = execute(dec!(250), &sheet, &Currency::Eur, &Currency::Eth, dec!(1.49)).unwrap();
        assert_eq!(buy.rate.round_dp(8), dec!(0.00045809));
        assert_eq!((buy.fee, buy.proceeds), (dec!(0.00170639), dec!(0.11281583)));

        // 0.5 BTC -> ETH under a negotiated 0.5% fee: rate 25.4279165902...; gross 12.7139582951...;
        // fee 0.0635697914... -> 0.06356980; proceeds 12.6503884951... -> 12.65038849.
        let cross = execute(dec!(0.5), &sheet, &Currency::Btc, &Currency::Eth, dec!(0.5)).unwrap();
        assert_eq!(cross.rate.round_dp(8), dec!(25.42791659));
        assert_eq!((cross.fee, cross.proceeds), (dec!(0.06356980), dec!(12.65038849)));

        assert_eq!(
            execute(dec!(1), &sheet, &Currency::Btc, &Currency::Usdc, dec!(1.49)),
            None,
            "no value for USDC on the sheet"
        );
    }

    #[test]
    fn sepa_fee_has_a_minimum() {
        assert_eq!(sepa_fee(dec!(100)), dec!(1.00));
        assert_eq!(sepa_fee(dec!(5000)), dec!(5.00));
        assert_eq!(sepa_fee(dec!(1234.56)), dec!(1.24));
    }
}
