//! Validated money destinations: IBAN, BIC and crypto addresses.
//!
//! Errors are sentences shown to finance staff next to the form field.

use std::fmt;

use bech32::primitives::decode::{CharError, ChecksumError, SegwitHrpstringError, UncheckedHrpstringError};
use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

/// An IBAN in electronic format (upper case, no spaces), checked against ISO 13616.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iban(String);

impl Iban {
    /// Accepts the IBAN as typed: spaces anywhere and lower case are fine.
    pub fn parse(text: &str) -> Result<Iban, String> {
        let electronic: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if electronic.is_empty() {
            return Err("Enter an IBAN.".to_string());
        }
        if !electronic.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("An IBAN contains only letters and digits.".to_string());
        }
        let bytes = electronic.as_bytes();
        if bytes.len() < 4
            || !bytes[..2].iter().all(u8::is_ascii_alphabetic)
            || !bytes[2..4].iter().all(u8::is_ascii_digit)
        {
            return Err("An IBAN starts with a two-letter country code and two check digits, like DE89.".to_string());
        }
        let country = &electronic[..2];
        match electronic.parse::<iban::Iban>() {
            Ok(_) => Ok(Iban(electronic)),
            Err(iban::ParseIbanError::UnknownCountry(_)) => Err(unknown_country(country)),
            Err(iban::ParseIbanError::InvalidBban(_)) => Err(wrong_layout(country)),
            Err(iban::ParseIbanError::InvalidBaseIban {
                source: iban::ParseBaseIbanError::InvalidFormat,
            }) => Err("An IBAN has at most 34 characters.".to_string()),
            Err(iban::ParseIbanError::InvalidBaseIban {
                source: iban::ParseBaseIbanError::InvalidChecksum,
            }) => {
                // The crate checks mod 97 before the country rules, but a missing digit or an unknown
                // country is the more useful message: redo those checks with check digits that pass.
                // Exactly one value in 2..=98 satisfies mod 97.
                let with_good_digits = (2..=98).find_map(|digits| {
                    format!("{country}{digits:02}{}", &electronic[4..])
                        .parse::<iban::BaseIban>()
                        .ok()
                });
                Err(match with_good_digits.map(iban::Iban::try_from) {
                    Some(Err(iban::ParseIbanError::UnknownCountry(_))) => unknown_country(country),
                    Some(Err(iban::ParseIbanError::InvalidBban(_))) => wrong_layout(country),
                    _ => "The IBAN's check digits are wrong: check for a typo.".to_string(),
                })
            }
        }
    }

    /// Electronic format: upper case, no spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// ISO 3166-1 alpha-2 country code, e.g. "DE".
    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    /// Paper format: groups of four separated by spaces.
    pub fn display(&self) -> String {
        let mut paper = String::with_capacity(self.0.len() + self.0.len() / 4);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                paper.push(' ');
            }
            paper.push(c);
        }
        paper
    }
}

fn unknown_country(country: &str) -> String {
    format!("{country} is not a country that uses IBANs: check the first two letters.")
}

fn wrong_layout(country: &str) -> String {
    format!("The IBAN has the wrong length or layout for country {country}: check for a missing or extra character.")
}

/// Paper format, as on a bank statement.
impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl TryFrom<String> for Iban {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Iban::parse(&text)
    }
}

impl From<Iban> for String {
    fn from(iban: Iban) -> String {
        iban.0
    }
}

/// A BIC (SWIFT code) per ISO 9362, upper case, 8 or 11 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Bic(String);

impl Bic {
    /// Checks the format by hand: no well-kept crate validates BICs alone. The country must be an
    /// ISO 3166-1 code (isocountry, which the contact details already use).
    pub fn parse(text: &str) -> Result<Bic, String> {
        let bic: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if bic.is_empty() {
            return Err("Enter a BIC.".to_string());
        }
        if !bic.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("A BIC contains only letters and digits.".to_string());
        }
        if bic.len() != 8 && bic.len() != 11 {
            return Err("A BIC has 8 or 11 characters.".to_string());
        }
        let bytes = bic.as_bytes();
        if !bytes[..4].iter().all(u8::is_ascii_alphabetic) {
            return Err("The first 4 characters of a BIC (the bank code) must be letters.".to_string());
        }
        if !bytes[4..6].iter().all(u8::is_ascii_alphabetic) {
            return Err("Characters 5 and 6 of a BIC must be a country code, such as DE.".to_string());
        }
        if isocountry::CountryCode::for_alpha2(&bic[4..6]).is_err() {
            return Err(format!("{} in a BIC is not a country code.", &bic[4..6]));
        }
        // Location (2) and branch (3) may be letters or digits, which the check above ensures.
        Ok(Bic(bic))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Bic {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Bic::parse(&text)
    }
}

impl From<Bic> for String {
    fn from(bic: Bic) -> String {
        bic.0
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chain {
    Bitcoin,
    Litecoin,
    Dogecoin,
    Ethereum,
    Polygon,
}

/// Which chain's address a string would be; Ethereum stands for every EVM network.
const RECOGNISED: [Chain; 4] = [Chain::Bitcoin, Chain::Litecoin, Chain::Dogecoin, Chain::Ethereum];

const ALL_HRPS: [&str; 4] = ["bc", "tb", "ltc", "tltc"];

impl Chain {
    fn name(self) -> &'static str {
        match self {
            Chain::Bitcoin => "Bitcoin",
            Chain::Litecoin => "Litecoin",
            Chain::Dogecoin => "Dogecoin",
            Chain::Ethereum => "Ethereum",
            Chain::Polygon => "Polygon",
        }
    }

    fn from_network(network: &str) -> Option<Chain> {
        match network {
            "btc" => Some(Chain::Bitcoin),
            "ltc" => Some(Chain::Litecoin),
            "doge" => Some(Chain::Dogecoin),
            "ethereum" => Some(Chain::Ethereum),
            "polygon" => Some(Chain::Polygon),
            _ => None,
        }
    }

    fn is_evm(self) -> bool {
        matches!(self, Chain::Ethereum | Chain::Polygon)
    }

    /// Base58Check version bytes, mainnet then testnet.
    fn base58_versions(self) -> &'static [u8] {
        match self {
            Chain::Bitcoin => &[0x00, 0x05, 0x6f, 0xc4],
            Chain::Litecoin => &[0x30, 0x32, 0x05, 0x6f, 0x3a],
            Chain::Dogecoin => &[0x1e, 0x16, 0x71, 0xc4],
            Chain::Ethereum | Chain::Polygon => &[],
        }
    }

    fn bech32_hrps(self) -> &'static [&'static str] {
        match self {
            Chain::Bitcoin => &["bc", "tb"],
            Chain::Litecoin => &["ltc", "tltc"],
            Chain::Dogecoin | Chain::Ethereum | Chain::Polygon => &[],
        }
    }

    /// "Not a Bitcoin address" / "Not an address on Ethereum".
    fn not_one(self) -> String {
        if self.is_evm() {
            format!("Not an address on {}", self.name())
        } else {
            format!("Not a {} address", self.name())
        }
    }

    /// What the field should hold: "a Bitcoin address" / "an address on Polygon".
    fn address_kind_for_input(self) -> String {
        if self.is_evm() {
            format!("an address on {}", self.name())
        } else {
            self.address_kind().to_string()
        }
    }

    /// How an address of this chain is named when it was pasted for another one.
    fn address_kind(self) -> &'static str {
        match self {
            Chain::Ethereum | Chain::Polygon => "an Ethereum or Polygon address",
            Chain::Bitcoin => "a Bitcoin address",
            Chain::Litecoin => "a Litecoin address",
            Chain::Dogecoin => "a Dogecoin address",
        }
    }
}

enum Flaw {
    Checksum,
    Character,
    Length,
    Prefix,
    MixedCase,
    Layout,
    EvmFormat,
}

impl Flaw {
    fn message(self, chain: Chain) -> String {
        let why = match self {
            Flaw::Checksum => "its checksum is wrong (check for a typo)",
            Flaw::Character => "it contains a character such addresses never use (check for 0/O or I/l mix-ups)",
            Flaw::Length => "it is too short or too long",
            Flaw::Prefix => "its first characters do not fit this network",
            Flaw::MixedCase => "it mixes upper and lower case",
            Flaw::Layout => "it is not laid out like one (check for a typo)",
            Flaw::EvmFormat => "it must be 0x followed by 40 hexadecimal characters",
        };
        format!("{}: {why}.", chain.not_one())
    }
}

/// A destination in the form every writing of it shares, to compare what was sent with what P100
/// reports: an IBAN without spaces in upper case; an EVM address in lower case (EIP-55's mixed case
/// is a checksum, not part of the address); a bech32 address in lower case (bech32 ignores case);
/// Base58 addresses, which are case-sensitive, and anything else as written, without spaces.
pub fn comparable(text: &str) -> String {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let lower = compact.to_ascii_lowercase();
    if lower.starts_with("0x") || ALL_HRPS.iter().any(|hrp| lower.starts_with(&format!("{hrp}1"))) {
        return lower;
    }
    if Iban::parse(&compact).is_ok() {
        return compact.to_ascii_uppercase();
    }
    compact
}

/// Checks `text` as a destination for `currency` sent on `network` and returns the normalised address
/// (bech32 in lower case, EVM in EIP-55 mixed case). Mainnet and testnet forms are both accepted.
pub fn check_address(currency: &str, network: &str, text: &str) -> Result<String, String> {
    let chain = match (currency, Chain::from_network(network)) {
        ("btc", Some(Chain::Bitcoin)) => Chain::Bitcoin,
        ("ltc", Some(Chain::Litecoin)) => Chain::Litecoin,
        ("doge", Some(Chain::Dogecoin)) => Chain::Dogecoin,
        ("eth" | "usdc" | "usdt" | "eurt", Some(Chain::Ethereum)) => Chain::Ethereum,
        ("eth" | "usdc" | "usdt" | "eurt" | "pol", Some(Chain::Polygon)) => Chain::Polygon,
        (_, known) => {
            let network = known.map_or(network, |chain| chain.name());
            return Err(format!("{} is not sent on {network}.", currency.to_uppercase()));
        }
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("Enter {}.", chain.address_kind_for_input()));
    }
    if text.chars().any(char::is_whitespace) {
        return Err(format!("{}: it must not contain spaces.", chain.not_one()));
    }
    parse_address(chain, text).map_err(|flaw| {
        match RECOGNISED.into_iter().find(|&other| parse_address(other, text).is_ok()) {
            Some(other) => format!(
                "This is {}; {} {} withdrawal{} needs {}.",
                other.address_kind(),
                if matches!(currency, "eth" | "ltc") { "an" } else { "a" },
                currency.to_uppercase(),
                if chain.is_evm() {
                    format!(" on {}", chain.name())
                } else {
                    String::new()
                },
                chain.address_kind_for_input(),
            ),
            None => flaw.message(chain),
        }
    })
}

fn parse_address(chain: Chain, text: &str) -> Result<String, Flaw> {
    if chain.is_evm() {
        return parse_evm(text);
    }
    let lower = text.to_ascii_lowercase();
    if has_hrp(&lower, &ALL_HRPS) {
        parse_segwit(chain, text, &lower)?;
        Ok(lower)
    } else {
        parse_base58(chain, text)?;
        Ok(text.to_string())
    }
}

fn parse_base58(chain: Chain, text: &str) -> Result<(), Flaw> {
    let payload = bs58::decode(text).with_check(None).into_vec().map_err(|e| match e {
        bs58::decode::Error::InvalidChecksum { .. } => Flaw::Checksum,
        bs58::decode::Error::InvalidCharacter { .. } | bs58::decode::Error::NonAsciiCharacter { .. } => Flaw::Character,
        _ => Flaw::Length,
    })?;
    // Version byte then a 20-byte hash.
    match payload.split_first() {
        Some((version, hash)) if hash.len() == 20 => {
            if chain.base58_versions().contains(version) {
                Ok(())
            } else {
                Err(Flaw::Prefix)
            }
        }
        _ => Err(Flaw::Length),
    }
}

fn has_hrp(lower: &str, hrps: &[&str]) -> bool {
    hrps.iter()
        .any(|hrp| lower.strip_prefix(hrp).is_some_and(|rest| rest.starts_with('1')))
}

/// The crate rejects mixed case and enforces bech32 for witness v0 (20 or 32 bytes), bech32m for v1+.
fn parse_segwit(chain: Chain, text: &str, lower: &str) -> Result<(), Flaw> {
    if !has_hrp(lower, chain.bech32_hrps()) {
        return Err(Flaw::Prefix);
    }
    let (hrp, _, _) = bech32::segwit::decode(text).map_err(|e| match e.0 {
        SegwitHrpstringError::Checksum(ChecksumError::InvalidResidue) => Flaw::Checksum,
        SegwitHrpstringError::Unchecked(UncheckedHrpstringError::Char(CharError::InvalidChar(_))) => Flaw::Character,
        SegwitHrpstringError::Unchecked(UncheckedHrpstringError::Char(CharError::MixedCase)) => Flaw::MixedCase,
        SegwitHrpstringError::InvalidWitnessVersion(_) | SegwitHrpstringError::Padding(_) => Flaw::Layout,
        _ => Flaw::Length,
    })?;
    if chain.bech32_hrps().contains(&hrp.to_lowercase().as_str()) {
        Ok(())
    } else {
        Err(Flaw::Prefix)
    }
}

/// All-lower or all-upper hex carries no checksum; mixed case must be EIP-55.
fn parse_evm(text: &str) -> Result<String, Flaw> {
    let hex = text
        .strip_prefix("0x")
        .filter(|hex| hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or(Flaw::EvmFormat)?;
    let checksummed = eip55(&hex.to_ascii_lowercase());
    let mixed = hex.bytes().any(|b| b.is_ascii_lowercase()) && hex.bytes().any(|b| b.is_ascii_uppercase());
    if mixed && checksummed[2..] != *hex {
        return Err(Flaw::Checksum);
    }
    Ok(checksummed)
}

fn eip55(lower_hex: &str) -> String {
    let hash = Keccak256::digest(lower_hex.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower_hex.chars().enumerate() {
        let nibble = if i % 2 == 0 {
            hash[i / 2] >> 4
        } else {
            hash[i / 2] & 0x0f
        };
        out.push(if nibble >= 8 { c.to_ascii_uppercase() } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_ibans_parse_as_typed() {
        for (typed, electronic, country) in [
            ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "DE"),
            ("gb82 west 1234 5698 7654 32", "GB82WEST12345698765432", "GB"),
            (
                "PL61 1090 1014 0000 0712 1981 2874",
                "PL61109010140000071219812874",
                "PL",
            ),
            ("  FR1420041010050500013M02606 ", "FR1420041010050500013M02606", "FR"),
        ] {
            let iban = Iban::parse(typed).unwrap();
            assert_eq!(iban.as_str(), electronic);
            assert_eq!(iban.country(), country);
        }
    }

    #[test]
    fn iban_display_groups_of_four() {
        let iban = Iban::parse("GB82WEST12345698765432").unwrap();
        assert_eq!(iban.display(), "GB82 WEST 1234 5698 7654 32");
        assert_eq!(iban.to_string(), "GB82 WEST 1234 5698 7654 32");
    }

    #[test]
    fn iban_one_changed_digit_fails_check_digits() {
        assert_eq!(
            Iban::parse("DE89 3704 0044 0532 0130 01").unwrap_err(),
            "The IBAN's check digits are wrong: check for a typo."
        );
        assert_eq!(
            Iban::parse("DE88 3704 0044 0532 0130 00").unwrap_err(),
            "The IBAN's check digits are wrong: check for a typo."
        );
    }

    #[test]
    fn iban_wrong_length_for_country() {
        // A digit missing, which also breaks the check digits: the length is the useful message.
        let err = Iban::parse("DE89 3704 0044 0532 0130 0").unwrap_err();
        assert!(err.contains("wrong length") && err.contains("DE"), "{err}");
        let err = Iban::parse("GB82 WEST 1234 5698 7654 321").unwrap_err();
        assert!(err.contains("wrong length") && err.contains("GB"), "{err}");
    }

    #[test]
    fn iban_unknown_country_and_bad_characters() {
        assert!(
            Iban::parse("XX89 3704 0044 0532 0130 00")
                .unwrap_err()
                .starts_with("XX is not a country")
        );
        assert_eq!(
            Iban::parse("DE89-3704-0044-0532-0130-00").unwrap_err(),
            "An IBAN contains only letters and digits."
        );
        assert_eq!(
            Iban::parse("DEÜ9 3704").unwrap_err(),
            "An IBAN contains only letters and digits."
        );
        assert!(Iban::parse("1234 5678").unwrap_err().starts_with("An IBAN starts with"));
        assert_eq!(Iban::parse("   ").unwrap_err(), "Enter an IBAN.");
        assert_eq!(
            Iban::parse(&format!("DE89{}", "1".repeat(31))).unwrap_err(),
            "An IBAN has at most 34 characters."
        );
    }

    #[test]
    fn iban_serde_is_the_validated_electronic_string() {
        let iban = Iban::parse("de89 3704 0044 0532 0130 00").unwrap();
        assert_eq!(serde_json::to_string(&iban).unwrap(), "\"DE89370400440532013000\"");
        assert_eq!(
            serde_json::from_str::<Iban>("\"DE89 3704 0044 0532 0130 00\"").unwrap(),
            iban
        );
        assert!(serde_json::from_str::<Iban>("\"DE89370400440532013001\"").is_err());
    }

    #[test]
    fn bics() {
        assert_eq!(Bic::parse("DEUTDEFF").unwrap().as_str(), "DEUTDEFF");
        assert_eq!(Bic::parse(" deutdeff500 ").unwrap().as_str(), "DEUTDEFF500");
        assert_eq!(
            Bic::parse("DEUT1EFF").unwrap_err(),
            "Characters 5 and 6 of a BIC must be a country code, such as DE."
        );
        assert!(Bic::parse("DEU1DEFF").unwrap_err().contains("bank code"));
        assert_eq!(Bic::parse("DEUTDEFF50").unwrap_err(), "A BIC has 8 or 11 characters.");
        assert_eq!(
            Bic::parse("DEUTDEFF-50").unwrap_err(),
            "A BIC contains only letters and digits."
        );
        assert_eq!(
            serde_json::to_string(&Bic::parse("DEUTDEFF").unwrap()).unwrap(),
            "\"DEUTDEFF\""
        );
        assert!(serde_json::from_str::<Bic>("\"DEUT1EFF\"").is_err());
    }

    fn ok(currency: &str, network: &str, text: &str) -> String {
        check_address(currency, network, text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(currency: &str, network: &str, text: &str) -> String {
        check_address(currency, network, text).unwrap_err()
    }

    #[test]
    fn bitcoin_addresses() {
        for address in [
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
            "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
            "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
            "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
            "2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc",
        ] {
            assert_eq!(ok("btc", "btc", address), address);
        }
        assert_eq!(
            ok("btc", "btc", " BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ\n"),
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
        );
    }

    #[test]
    fn bitcoin_one_changed_character_fails_checksum() {
        let checksum = "Not a Bitcoin address: its checksum is wrong (check for a typo).";
        assert_eq!(err("btc", "btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"), checksum);
        assert_eq!(err("btc", "btc", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz"), checksum);
        assert_eq!(
            err("btc", "btc", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp"),
            checksum
        );
        assert_eq!(
            err(
                "btc",
                "btc",
                "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3298"
            ),
            checksum
        );
        assert_eq!(
            err("btc", "btc", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsy"),
            checksum
        );
    }

    #[test]
    fn bitcoin_segwit_version_must_match_checksum_kind() {
        // BIP-350 invalid vectors: v1 with a bech32 checksum, v0 with a bech32m checksum.
        assert!(
            check_address(
                "btc",
                "btc",
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd"
            )
            .is_err()
        );
        assert!(
            check_address(
                "btc",
                "btc",
                "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL"
            )
            .is_err()
        );
        assert!(check_address("btc", "btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh").is_err());
    }

    #[test]
    fn bitcoin_malformed() {
        assert_eq!(
            err("btc", "btc", "1BvBMSEYstWet qTFn5Au4m4GFg7xJaNVN2"),
            "Not a Bitcoin address: it must not contain spaces."
        );
        assert!(err("btc", "btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNV0I").contains("character"));
        assert!(err("btc", "btc", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzWF5MDQ").contains("mixes upper and lower case"));
        assert_eq!(err("btc", "btc", ""), "Enter a Bitcoin address.");
    }

    #[test]
    fn litecoin_addresses() {
        for address in [
            "LaMT348PWRnrqeeWArpwQPbuanpXDZGEUz",
            "MGxNPPB7eBoWPUaprtX9v9CXJZoD2465zN",
            "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9",
            "tltc1qw508d6qejxtdg4y5r3zarvary0c5xw7klfsuq0",
        ] {
            assert_eq!(ok("ltc", "ltc", address), address);
        }
        assert_eq!(
            err("ltc", "ltc", "LaMT348PWRnrqeeWArpwQPbuanpXDZGEUy"),
            "Not a Litecoin address: its checksum is wrong (check for a typo)."
        );
        assert_eq!(
            err("ltc", "ltc", "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n8"),
            "Not a Litecoin address: its checksum is wrong (check for a typo)."
        );
    }

    #[test]
    fn dogecoin_addresses() {
        assert_eq!(
            ok("doge", "doge", "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L"),
            "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L"
        );
        assert_eq!(
            err("doge", "doge", "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7M"),
            "Not a Dogecoin address: its checksum is wrong (check for a typo)."
        );
        assert_eq!(
            err("doge", "doge", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp"),
            "Not a Dogecoin address: its first characters do not fit this network."
        );
    }

    #[test]
    fn evm_addresses() {
        for address in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            assert_eq!(ok("eth", "ethereum", address), address);
            assert_eq!(ok("usdc", "polygon", &address.to_lowercase()), address);
            assert_eq!(
                ok("usdt", "ethereum", &format!("0x{}", address[2..].to_uppercase())),
                address
            );
        }
        assert_eq!(
            ok("pol", "polygon", " 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed "),
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        );
    }

    #[test]
    fn evm_bad_checksum_and_format() {
        assert_eq!(
            err("eth", "ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
            "Not an address on Ethereum: its checksum is wrong (check for a typo)."
        );
        let format = "Not an address on Ethereum: it must be 0x followed by 40 hexadecimal characters.";
        assert_eq!(
            err("eurt", "ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe"),
            format
        );
        assert_eq!(
            err("eurt", "ethereum", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            format
        );
        assert_eq!(
            err("eurt", "ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg"),
            format
        );
    }

    #[test]
    fn cross_chain_addresses_are_named() {
        assert_eq!(
            err("btc", "btc", "LaMT348PWRnrqeeWArpwQPbuanpXDZGEUz"),
            "This is a Litecoin address; a BTC withdrawal needs a Bitcoin address."
        );
        assert_eq!(
            err("ltc", "ltc", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
            "This is a Bitcoin address; an LTC withdrawal needs a Litecoin address."
        );
        assert_eq!(
            err("btc", "btc", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            "This is an Ethereum or Polygon address; a BTC withdrawal needs a Bitcoin address."
        );
        assert_eq!(
            err("usdt", "polygon", "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L"),
            "This is a Dogecoin address; a USDT withdrawal on Polygon needs an address on Polygon."
        );
    }

    #[test]
    fn unknown_currency_network_pairs() {
        assert_eq!(
            err("btc", "ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            "BTC is not sent on Ethereum."
        );
        assert_eq!(
            err("pol", "ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            "POL is not sent on Ethereum."
        );
        assert_eq!(err("usdc", "tron", "T..."), "USDC is not sent on tron.");
    }

    #[test]
    fn destinations_compare_in_their_normal_form() {
        assert_eq!(comparable("de89 3704 0044 0532 0130 00"), "DE89370400440532013000");
        assert_eq!(
            comparable("0x52908400098527886E0F7030069857D2E4169EE7"),
            comparable("0x52908400098527886e0f7030069857d2e4169ee7")
        );
        assert_eq!(
            comparable("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"),
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
        );
        // Base58 is case-sensitive: two cases are two addresses.
        assert_ne!(
            comparable("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
            comparable("1bvbmseystwetqtfn5au4m4gfg7xjanvn2")
        );
    }
}
