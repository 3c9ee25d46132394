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
pub fn grouped(value: Decimal) -> String {
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

/// What a refused number is told to look like.
const SUCH_AS: &str = "Enter an amount such as 1250.50 or 1,250.50.";

/// A number as people type it, read exactly, never guessed. The point is the decimal mark and commas
/// or spaces group thousands (`1250.50`, `1,250.50`, `1 250.50`); a decimal comma is read only where
/// nothing else fits (`1250,50`, `1,5`, `1.250,50`, `1 250,5`). `1,250` could be either, so it is
/// refused with both readings, and so is any grouping that is not in thousands: `1,5` never becomes
/// 15 and `1250,50` never 125050.
pub fn read_number(text: &str) -> Result<Decimal, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Enter an amount.".into());
    }
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let is_space = |c: char| matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}');
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.' || is_space(c))
    {
        return Err(SUCH_AS.into());
    }
    let spaced = body.chars().any(is_space);
    let (commas, points) = (body.matches(',').count(), body.matches('.').count());
    // The decimal mark, if any: used once, and after the other mark when both appear.
    let decimal = match (commas, points) {
        (0, 0) => None,
        (0, 1) => Some('.'),
        (1, 0) => {
            let (before, after) = body.split_once(',').unwrap_or_default();
            let before = before.trim_start_matches(is_space);
            let groups_fit = after.len() == 3 && (1..=3).contains(&before.len()) && !spaced;
            if groups_fit {
                return Err(format!(
                    "\u{201c}{text}\u{201d} could mean {before}{after} or {before}.{after}: write {before}{after} or {before}.{after}."
                ));
            }
            Some(',')
        }
        (_, 0) | (0, _) => None,
        _ => {
            let last = body.rfind([',', '.']).and_then(|i| body[i..].chars().next());
            match last {
                Some(mark) if body.matches(mark).count() == 1 => Some(mark),
                _ => return Err(SUCH_AS.into()),
            }
        }
    };
    let (whole, fraction) = match decimal {
        Some(mark) => body.split_once(mark).unwrap_or((body, "")),
        None => (body, ""),
    };
    if !fraction.chars().all(|c| c.is_ascii_digit()) {
        return Err(SUCH_AS.into());
    }
    // The whole part: digits in groups of three after the first, split by one kind of mark.
    let groups: Vec<&str> = whole.split(|c: char| c == ',' || c == '.' || is_space(c)).collect();
    let marks: std::collections::BTreeSet<char> = whole.chars().filter(|c| !c.is_ascii_digit()).collect();
    let in_thousands = groups.len() == 1
        || (marks.len() == 1 && (1..=3).contains(&groups[0].len()) && groups[1..].iter().all(|g| g.len() == 3));
    if !in_thousands {
        return Err(format!(
            "\u{201c}{text}\u{201d} is not grouped in thousands: write digits only, with a point before any \
             decimals, such as 1250.50."
        ));
    }
    let digits = groups.concat();
    if digits.is_empty() && fraction.is_empty() {
        return Err(SUCH_AS.into());
    }
    let exact = format!(
        "{}{}.{}",
        if negative { "-" } else { "" },
        if digits.is_empty() { "0" } else { &digits },
        if fraction.is_empty() { "0" } else { fraction }
    );
    Decimal::from_str_exact(&exact).map_err(|_| SUCH_AS.to_owned())
}

/// An amount of `currency` as staff type it (read by [`read_number`]): positive, at most the
/// currency's decimals, and few enough digits to reach P100 unchanged.
pub fn parse_amount(text: &str, currency: &Currency) -> Result<Amount, String> {
    let value = read_number(text)?;
    if value <= Decimal::ZERO {
        return Err("The amount must be more than zero.".into());
    }
    let value = value.normalize();
    if value.scale() > currency.scale() {
        return Err(format!(
            "{} allows at most {} decimal places (read as {value}).",
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
        assert!(
            parse_amount("1,005", &Currency::Eur)
                .unwrap_err()
                .contains("could mean 1005 or 1.005")
        );
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

    #[test]
    fn numbers_are_read_as_people_type_them_and_never_guessed() {
        let read = |t: &str| read_number(t).map(|d| d.normalize().to_string());
        for (typed, exact) in [
            ("1250.50", "1250.5"),
            ("1,250.50", "1250.5"),
            ("1 250.50", "1250.5"),
            ("1\u{a0}250.50", "1250.5"),
            ("1,250,000", "1250000"),
            ("1.250.000", "1250000"),
            ("1250,50", "1250.5"),
            ("1.250,50", "1250.5"),
            ("1 250,5", "1250.5"),
            ("1,5", "1.5"),
            ("0,00000001", "0.00000001"),
            ("1.250", "1.25"),
            ("0.125", "0.125"),
            (".5", "0.5"),
            ("-3", "-3"),
            ("  42 ", "42"),
        ] {
            assert_eq!(read(typed).as_deref(), Ok(exact), "{typed}");
        }
        for (typed, says) in [
            ("1,250", "could mean 1250 or 1.250"),
            ("12,50,000", "not grouped in thousands"),
            ("1,2345,678", "not grouped in thousands"),
            ("1 25.5", "not grouped in thousands"),
            ("1.250.50", "not grouped in thousands"),
            ("1,250.000,5", "such as"),
            ("1.2.3,4,5", "such as"),
            ("ten", "such as"),
            ("1e5", "such as"),
            ("12-3", "such as"),
            (",", "such as"),
            ("", "Enter an amount"),
        ] {
            let message = read(typed).unwrap_err();
            assert!(message.contains(says), "{typed}: {message}");
        }
    }
}
