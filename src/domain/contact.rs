//! Contact and identity values typed once and checked once: emails, E.164 phone numbers, ISO
//! country codes, names and address lines, the external user id, dates of birth.

use serde::{Deserialize, Serialize};

/// An email address, trimmed and lower-cased so that one person has one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_lowercase();
        let Some((local, domain)) = text.split_once('@') else {
            return Err("Enter an email address like name@example.com.".into());
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain
                .split('.')
                .all(|label| !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        let local_ok = !local.is_empty() && !local.chars().any(|c| c.is_whitespace() || c == '@');
        if !local_ok || !domain_ok || text.len() > 254 {
            return Err("Enter an email address like name@example.com.".into());
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164: `+`, a country code and the number, 8 to 15 digits in all. Spaces,
/// dashes, dots and brackets people type are dropped. This checks the format only; whether the
/// number exists is P100's and the carrier's business (a number-plan library such as `phonenumber`
/// would add its metadata to every build for a check P100 repeats anyway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    pub fn parse(text: &str) -> Result<Self, String> {
        let compact: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let message = "Enter the number in international form, like +48 601 234 567.";
        let digits = compact.strip_prefix('+').ok_or(message)?;
        let ok =
            (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if ok { Ok(Self(compact)) } else { Err(message.into()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits with the country code and no `+`, the way P100 takes it.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Country(#[serde(with = "country_text")] [u8; 2]);

impl Country {
    /// Checked against the ISO list, which only the server carries.
    #[cfg(feature = "ssr")]
    pub fn parse(text: &str) -> Result<Self, String> {
        let code = text.trim().to_ascii_uppercase();
        match isocountry::CountryCode::for_alpha2(&code) {
            Ok(_) => Ok(Self([code.as_bytes()[0], code.as_bytes()[1]])),
            Err(_) if code.is_empty() => Err("Choose a country.".into()),
            Err(_) => Err(format!("{code} is not an ISO 3166 country code.")),
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Every country as (code, English name), sorted by name, for the forms' lists.
    #[cfg(feature = "ssr")]
    pub fn all() -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = isocountry::CountryCode::iter()
            .map(|c| (c.alpha2().to_owned(), c.name().to_owned()))
            .collect();
        all.sort_by(|a, b| a.1.cmp(&b.1));
        all
    }
}

mod country_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(code: &[u8; 2], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(std::str::from_utf8(code).unwrap_or("??"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 2], D::Error> {
        let text = String::deserialize(d)?;
        match text.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok([*a, *b]),
            _ => Err(serde::de::Error::custom("a country is two upper-case letters")),
        }
    }
}

/// A required line of text (a name, a street, a city): trimmed, 1 to `max` characters, no control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line(String);

impl Line {
    pub fn parse(text: &str, max: usize) -> Result<Self, String> {
        let text = text.trim();
        match text.chars().count() {
            0 => Err("This field is required.".into()),
            n if n > max => Err(format!("Use at most {max} characters.")),
            _ if text.chars().any(char::is_control) => Err("Remove the line breaks and tabs.".into()),
            _ => Ok(Self(text.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Our id for a user at P100 (`externalUserId`): 3 to 64 letters, digits, `-`, `_` or `.`; it
/// appears in URL paths, so nothing else is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalUserId(String);

impl ExternalUserId {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let ok = (3..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err("Use 3 to 64 letters, digits, dashes, dots or underscores.".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A date of birth (`YYYY-MM-DD`) of someone who is an adult today.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BirthDate(time::Date);

#[cfg(feature = "ssr")]
impl BirthDate {
    pub const ADULT_AGE: i32 = 18;

    pub fn parse(text: &str, today: time::Date) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Err("Enter the date of birth.".into());
        }
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = time::Date::parse(text.trim(), format).map_err(|_| "Enter the date as YYYY-MM-DD.".to_owned())?;
        let adult_since = today
            .replace_year(today.year() - Self::ADULT_AGE)
            // Today is 29 February and that year has none: the 28th is the limit.
            .or_else(|_| {
                today
                    .replace_day(28)
                    .and_then(|d| d.replace_year(today.year() - Self::ADULT_AGE))
            })
            .map_err(|_| "Enter a real date.".to_owned())?;
        if date > adult_since {
            return Err(format!("The user must be at least {} years old.", Self::ADULT_AGE));
        }
        if today.year() - date.year() > 120 {
            return Err("Enter a date of birth in the last 120 years.".into());
        }
        Ok(Self(date))
    }

    pub fn text(&self) -> String {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        self.0.format(format).expect("a date always formats")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@exa_mple.com",
            "ada@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn phones_are_e164() {
        assert_eq!(Phone::parse(" +48 601-234 567 ").unwrap().as_str(), "+48601234567");
        assert_eq!(Phone::parse("+48601234567").unwrap().digits(), "48601234567");
        for bad in [
            "48601234567",
            "+0601234567",
            "+48 60",
            "+4860123456789012",
            "+48 601 234 56a",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn lines_and_external_ids() {
        assert_eq!(Line::parse("  Main St ", 10).unwrap().as_str(), "Main St");
        assert!(Line::parse("   ", 10).is_err());
        assert!(Line::parse("a\nb", 10).is_err());
        assert!(Line::parse("abcdefghijk", 10).is_err());
        assert!(ExternalUserId::parse("cust-00042").is_ok());
        for bad in ["ab", "has space", "a/b", "ä-user"] {
            assert!(ExternalUserId::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn countries_and_birth_dates() {
        assert_eq!(Country::parse(" pl ").unwrap().as_str(), "PL");
        assert!(Country::parse("XX").is_err());
        assert!(Country::parse("").is_err());
        let today = time::macros::date!(2026 - 11 - 24);
        assert!(BirthDate::parse("2008-11-24", today).is_ok());
        assert!(BirthDate::parse("2008-11-25", today).is_err());
        assert!(BirthDate::parse("24.11.1990", today).is_err());
        assert!(BirthDate::parse("1890-01-01", today).is_err());
        let leap = time::macros::date!(2028 - 02 - 29);
        assert!(BirthDate::parse("2010-02-28", leap).is_ok());
    }
}
