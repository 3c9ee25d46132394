//! The sandbox's market: rates that move deterministically, network settings and fees.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;

use crate::domain::money::Currency;
use crate::p100::types::{DepositLimits, NetworkConfig, Num, WithdrawalLimits};

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

/// The EUR value of one unit at `unix_seconds`: a triangle wave of +-1% over 20 minutes, shifted
/// per currency. Integer arithmetic only, so the same second always gives the same rate.
pub fn rate(currency: &Currency, unix_seconds: i64) -> Decimal {
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

pub fn rates(unix_seconds: i64) -> BTreeMap<Currency, Num> {
    Currency::KNOWN
        .iter()
        .map(|c| (c.clone(), Num(rate(c, unix_seconds).into())))
        .collect()
}

/// Standard exchange fee, in percent (REFERENCE.md 1.9).
pub const EXCHANGE_FEE_PERCENT: Decimal = dec!(1.49);

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
    fn rates_are_deterministic_and_stay_within_one_percent() {
        for currency in Currency::KNOWN {
            let base = base_rate(&currency);
            for t in (0..7200).step_by(60) {
                let r = rate(&currency, t);
                assert_eq!(r, rate(&currency, t));
                assert!(
                    (r - base).abs() <= base / dec!(100) + dec!(0.00000001),
                    "{currency} at {t}: {r}"
                );
            }
        }
        assert_eq!(rate(&Currency::Eur, 123), Decimal::ONE);
    }

    #[test]
    fn sepa_fee_has_a_minimum() {
        assert_eq!(sepa_fee(dec!(100)), dec!(1.00));
        assert_eq!(sepa_fee(dec!(5000)), dec!(5.00));
        assert_eq!(sepa_fee(dec!(1234.56)), dec!(1.24));
    }
}
