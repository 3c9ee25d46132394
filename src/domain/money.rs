//! Money: amounts are `rust_decimal::Decimal`, never floats, and cross every wire as strings.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A currency P100 knows, by its lower-case slug. A slug it adds later stays usable as `Unknown`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    Eur,
    Btc,
    Eth,
    Ltc,
    Doge,
    Pol,
    Usdc,
    Usdt,
    Eurt,
    Unknown(String),
}

impl Currency {
    pub const KNOWN: [Currency; 9] = [
        Currency::Eur,
        Currency::Btc,
        Currency::Eth,
        Currency::Ltc,
        Currency::Doge,
        Currency::Pol,
        Currency::Usdc,
        Currency::Usdt,
        Currency::Eurt,
    ];

    /// Case-insensitive: the API writes `"btc"` in most places and `"BTC"` in some examples.
    pub fn parse(text: &str) -> Self {
        let slug = text.trim().to_ascii_lowercase();
        Currency::KNOWN
            .into_iter()
            .find(|c| c.code() == slug)
            .unwrap_or(Currency::Unknown(slug))
    }

    pub fn code(&self) -> &str {
        match self {
            Currency::Eur => "eur",
            Currency::Btc => "btc",
            Currency::Eth => "eth",
            Currency::Ltc => "ltc",
            Currency::Doge => "doge",
            Currency::Pol => "pol",
            Currency::Usdc => "usdc",
            Currency::Usdt => "usdt",
            Currency::Eurt => "eurt",
            Currency::Unknown(slug) => slug,
        }
    }

    /// Decimal places amounts of this currency carry (as P100's balances print them).
    pub fn scale(&self) -> u32 {
        match self {
            Currency::Eur => 2,
            Currency::Usdc | Currency::Usdt | Currency::Eurt => 6,
            _ => 8,
        }
    }

    pub fn is_fiat(&self) -> bool {
        *self == Currency::Eur
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Currency::parse(&String::deserialize(deserializer)?))
    }
}

/// An exact amount. Written as a JSON string; read from a string or a number, because P100 sends
/// both (`"16.02"` in one place, `10` or `0.963728` in another).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub Decimal);

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    pub fn get(self) -> Decimal {
        self.0
    }

    /// The amount at `currency`'s scale, for display and for sending.
    pub fn at_scale_of(self, currency: &Currency) -> Decimal {
        let mut value = self.0;
        value.rescale(currency.scale());
        value
    }
}

/// `1,234.50 EUR`: the currency's decimals, thousands separated, the code after.
pub fn display(amount: Amount, currency: &Currency) -> String {
    format!(
        "{} {}",
        grouped(amount.at_scale_of(currency)),
        currency.code().to_uppercase()
    )
}

/// `display` of an amount that crossed the wire as exact decimal text, with its currency's code.
pub fn display_text(amount: &str, currency: &str) -> String {
    display(Amount(amount.parse().unwrap_or_default()), &Currency::parse(currency))
}

/// `1 BTC = 55,647.81453411 EUR`: how many `to` one `from` buys, to 8 decimals.
pub fn rate_text(from: &Currency, to: &Currency, rate: Decimal) -> String {
    format!(
        "1 {} = {} {}",
        from.code().to_uppercase(),
        grouped(rate.round_dp(8).normalize()),
        to.code().to_uppercase()
    )
}

/// A decimal with its whole part in groups of three: `-1,234,567.5`.
fn grouped(value: Decimal) -> String {
    let text = value.abs().to_string();
    let (whole, fraction) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut out = String::new();
    if value.is_sign_negative() && !value.is_zero() {
        out.push('-');
    }
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// P100 types request amounts as JSON numbers, which carry at most 15 significant digits exactly.
pub const MAX_SIGNIFICANT_DIGITS: u32 = 15;

/// An amount of `currency` as staff type it: positive, at most the currency's decimals, and few
/// enough digits to reach P100 unchanged. Thousands separators (`1,234.50`) are accepted.
pub fn parse_amount(text: &str, currency: &Currency) -> Result<Amount, String> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',' && *c != ' ').collect();
    if cleaned.is_empty() {
        return Err("Enter an amount.".into());
    }
    let value = Decimal::from_str_exact(&cleaned).map_err(|_| "Enter an amount such as 1250.50.".to_owned())?;
    if value <= Decimal::ZERO {
        return Err("The amount must be more than zero.".into());
    }
    let value = value.normalize();
    if value.scale() > currency.scale() {
        return Err(format!(
            "{} allows at most {} decimal places.",
            currency.code().to_uppercase(),
            currency.scale()
        ));
    }
    let digits = value.mantissa().unsigned_abs().to_string().len() as u32;
    if digits > MAX_SIGNIFICANT_DIGITS {
        return Err(format!("Use at most {MAX_SIGNIFICANT_DIGITS} significant digits."));
    }
    Ok(Amount(value))
}

impl From<Decimal> for Amount {
    fn from(value: Decimal) -> Self {
        Amount(value)
    }
}

impl FromStr for Amount {
    type Err = rust_decimal::Error;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Decimal::from_str_exact(text.trim())
            .or_else(|_| Decimal::from_scientific(text.trim()))
            .map(Amount)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Lenient;

        impl de::Visitor<'_> for Lenient {
            type Value = Amount;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal amount as a string or a number")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Amount, E> {
                text.parse()
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(text), &self))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount, E> {
                Ok(Amount(Decimal::from(v)))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
                Ok(Amount(Decimal::from(v)))
            }

            // A JSON number arrives as the nearest f64. Its shortest round-trip text is the digits
            // that were sent (up to 15 significant digits, beyond any amount P100 shows), so that
            // text is parsed exactly instead of converting the binary value.
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Amount, E> {
                let text = v.to_string();
                text.parse()
                    .map_err(|_| E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }

        deserializer.deserialize_any(Lenient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_display_at_their_scale_with_separators() {
        let amount = |t: &str| t.parse::<Amount>().unwrap();
        assert_eq!(display(amount("1234567.5"), &Currency::Eur), "1,234,567.50 EUR");
        assert_eq!(display(amount("0.00012"), &Currency::Btc), "0.00012000 BTC");
        assert_eq!(display(amount("-950"), &Currency::Eur), "-950.00 EUR");
        assert_eq!(display(amount("100"), &Currency::Eur), "100.00 EUR");
        assert_eq!(display(amount("0"), &Currency::Usdc), "0.000000 USDC");
        assert_eq!(
            rate_text(&Currency::Btc, &Currency::Eur, "55647.814534110000001".parse().unwrap()),
            "1 BTC = 55,647.81453411 EUR"
        );
    }

    #[test]
    fn currencies_parse_case_insensitively_and_keep_unknown_ones() {
        assert_eq!(Currency::parse("BTC"), Currency::Btc);
        assert_eq!(Currency::parse(" usdc "), Currency::Usdc);
        assert_eq!(Currency::parse("XRP"), Currency::Unknown("xrp".into()));
        assert_eq!(serde_json::to_string(&Currency::Eth).unwrap(), "\"eth\"");
        let unknown: Currency = serde_json::from_str("\"sol\"").unwrap();
        assert_eq!(unknown.code(), "sol");
    }

    #[test]
    fn amounts_read_strings_and_numbers_exactly() {
        for (json, text) in [
            (r#""16.02""#, "16.02"),
            ("10", "10"),
            ("0.963728", "0.963728"),
            ("55647.81453411", "55647.81453411"),
            (r#""0.00000000""#, "0.00000000"),
            ("0.1", "0.1"),
            ("1e-7", "0.0000001"),
        ] {
            let amount: Amount = serde_json::from_str(json).unwrap();
            assert_eq!(amount.0, Decimal::from_str_exact(text).unwrap(), "{json}");
        }
        assert!(serde_json::from_str::<Amount>(r#""ten""#).is_err());
        assert_eq!(
            serde_json::to_string(&Amount("3.80".parse().unwrap())).unwrap(),
            r#""3.80""#
        );
    }

    #[test]
    fn typed_amounts_are_checked_against_their_currency() {
        assert_eq!(parse_amount(" 1,250.5 ", &Currency::Eur).unwrap().to_string(), "1250.5");
        assert_eq!(
            parse_amount("0.00000001", &Currency::Btc).unwrap().to_string(),
            "0.00000001"
        );
        assert!(
            parse_amount("1.005", &Currency::Eur)
                .unwrap_err()
                .contains("2 decimal places")
        );
        assert!(
            parse_amount("0", &Currency::Eur)
                .unwrap_err()
                .contains("more than zero")
        );
        assert!(
            parse_amount("-3", &Currency::Eur)
                .unwrap_err()
                .contains("more than zero")
        );
        assert!(parse_amount("ten", &Currency::Eur).unwrap_err().contains("such as"));
        assert!(parse_amount("", &Currency::Eur).unwrap_err().contains("Enter"));
        assert!(
            parse_amount("12345678901234.56", &Currency::Eur)
                .unwrap_err()
                .contains("significant")
        );
    }

    /// Money is never a float: no `f32`/`f64` anywhere in the code, tests included, except the
    /// two places that meet JSON numbers at P100's edge, each of which converts through exact text.
    #[test]
    fn no_float_touches_money() {
        const ALLOWED: &[(&str, &str)] = &[
            (
                "src/domain/money.rs",
                "fn visit_f64<E: de::Error>(self, v: f64) -> Result<Amount, E> {",
            ),
            ("src/p100/types.rs", ".to_f64()"),
            ("src/p100/types.rs", "Some(float) => serializer.serialize_f64(float),"),
        ];
        fn is_float(line: &str) -> bool {
            let bytes = line.as_bytes();
            ["f32", "f64"].iter().any(|word| {
                line.match_indices(word).any(|(at, _)| {
                    let before = at.checked_sub(1).map(|i| bytes[i]);
                    let after = bytes.get(at + 3).copied();
                    !before.is_some_and(|b| b.is_ascii_alphanumeric())
                        && !after.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                })
            })
        }
        fn scan(dir: &std::path::Path, root: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    scan(&path, root, found);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let name = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                    let text = std::fs::read_to_string(&path).unwrap();
                    // This test names the words it looks for: its own module is not scanned.
                    let text = match name.as_str() {
                        "src/domain/money.rs" => text.split("#[cfg(test)]").next().unwrap_or_default().to_owned(),
                        _ => text,
                    };
                    for line in text.lines() {
                        let code = line.split("//").next().unwrap_or_default().trim();
                        if is_float(code) && !ALLOWED.iter().any(|(f, l)| *f == name && code == *l) {
                            found.push(format!("{name}: {code}"));
                        }
                    }
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut found = Vec::new();
        for dir in ["src", "tests"] {
            scan(&root.join(dir), root, &mut found);
        }
        assert!(found.is_empty(), "floats in the code:\n{}", found.join("\n"));
        assert!(is_float("let x: f64 = 1.0;") && is_float("v.to_f64()") && !is_float("buf64 f640"));
    }

    #[test]
    fn amounts_take_their_currency_scale() {
        let amount: Amount = "1.5".parse().unwrap();
        assert_eq!(amount.at_scale_of(&Currency::Eur).to_string(), "1.50");
        assert_eq!(amount.at_scale_of(&Currency::Btc).to_string(), "1.50000000");
        assert_eq!(amount.at_scale_of(&Currency::Usdc).to_string(), "1.500000");
    }
}
