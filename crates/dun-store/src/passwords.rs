//! What a password must be (OWASP ASVS 4.0 level 2, V2.1): at least
//! [`PASSWORD_CHARS_MIN`] characters, any characters, no upper limit below
//! 64 (we accept up to [`PASSWORD_BYTES_MAX`] bytes), no composition
//! rules — and not a common password. "Common" is judged the way
//! breached-password lists are built: a password is refused when, with
//! look-alike characters read as letters (`0`→o, `1`→i, `3`→e, `4`→a,
//! `5`→s, `7`→t, `@`→a, `$`→s) and case ignored, it is one character or
//! a short pattern repeated, a keyboard or counting run, the account's own
//! address or name, or one of the words the lists begin with
//! ([`COMMON_STEMS`], e.g. "password", "qwerty", "letmein") with only
//! digits and punctuation around it ("Password2024!", "1qaz2wsx3edc").

/// Shortest password accepted, in characters.
pub const PASSWORD_CHARS_MIN: usize = 12;
/// Longest password accepted, in bytes (argon2 hashes any length; this
/// bounds the work a request can ask for).
pub const PASSWORD_BYTES_MAX: usize = 256;

/// The stems the most-breached passwords are built on (the top of the
/// public breach-frequency lists: RockYou, the HIBP Pwned Passwords top,
/// NCSC's "100,000 most common"), each compared whole after look-alikes
/// are read as letters and digits and punctuation around it are dropped.
pub const COMMON_STEMS: &[&str] = &[
    "password",
    "passwort",
    "motdepasse",
    "contrasena",
    "qwerty",
    "qwertz",
    "azerty",
    "asdf",
    "asdfgh",
    "asdfghjkl",
    "zxcvbn",
    "zxcvbnm",
    "qwertyuiop",
    "qwertzuiop",
    "letmein",
    "welcome",
    "admin",
    "administrator",
    "root",
    "login",
    "changeme",
    "default",
    "secret",
    "master",
    "iloveyou",
    "princess",
    "sunshine",
    "football",
    "baseball",
    "basketball",
    "soccer",
    "hockey",
    "dragon",
    "monkey",
    "shadow",
    "superman",
    "batman",
    "michael",
    "jennifer",
    "jordan",
    "hunter",
    "trustno",
    "starwars",
    "whatever",
    "freedom",
    "computer",
    "internet",
    "summer",
    "winter",
    "spring",
    "autumn",
    "january",
    "february",
    "december",
    "hello",
    "helloworld",
    "abc",
    "abcd",
    "abcdef",
    "abcdefgh",
    "abcdefghijkl",
    "test",
    "tester",
    "testing",
    "guest",
    "user",
    "access",
    "company",
    "business",
    "invoice",
    "invoices",
    "payment",
    "payments",
    "money",
    "dun",
    "accounts",
    "passpass",
    "pass",
    "pw",
    "mypassword",
    "newpassword",
    "temp",
    "temporary",
    "office",
    "pokemon",
    "liverpool",
    "chelsea",
    "arsenal",
    "charlie",
    "daniel",
    "thomas",
    "killer",
    "cookie",
    "cheese",
    "ginger",
    "pepper",
    "flower",
    "lovely",
    "loveme",
    "ilovecats",
    "ilovedogs",
    "fuckyou",
    "zaq",
    "zaqwsx",
    "qazwsx",
    "qazwsxedc",
    "qwe",
    "qweasd",
    "qweasdzxc",
    "asdqwe",
    "ncc",
    "samsung",
    "apple",
    "google",
    "microsoft",
    "facebook",
    "linkedin",
];

/// Rows of a keyboard and counting runs, as the runs walked along them.
const RUNS: &[&str] = &[
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789012345678901234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qwertzuiop",
    "azertyuiop",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm",
    "zaq1xsw2cde3vfr4bgt5nhy6mju7",
    "1q2w3e4r5t6y7u8i9o0p",
    "q1w2e3r4t5y6u7i8o9p0",
];

/// Why a password is refused, in words for the person choosing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Weakness {
    Length,
    Repeated,
    Run,
    Common(String),
    Personal,
}

impl std::fmt::Display for Weakness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Weakness::Length => write!(
                f,
                "must be {PASSWORD_CHARS_MIN} to {PASSWORD_BYTES_MAX} characters long; a few unrelated words make a good one"
            ),
            Weakness::Repeated => f.write_str("is one character or a short pattern repeated; choose a few unrelated words"),
            Weakness::Run => f.write_str("is a keyboard or counting run; choose a few unrelated words"),
            Weakness::Common(stem) => write!(
                f,
                "is built on \"{stem}\", one of the most common passwords; choose a few unrelated words"
            ),
            Weakness::Personal => f.write_str("is made of your own e-mail address or name; choose something else"),
        }
    }
}

/// Look-alike characters read as the letters they stand for; lower case.
fn plain(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' | '|' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Whether `text` is a short pattern (at most a third of it) repeated.
fn repeated(text: &[char]) -> bool {
    (1..=text.len() / 3)
        .any(|n| text.len().is_multiple_of(n) && text.chunks(n).all(|c| c == &text[..n]))
}

/// Whether `text` walks along one of the runs (or backwards).
fn is_run(text: &str) -> bool {
    text.len() >= 4
        && RUNS.iter().any(|run| {
            let back: String = run.chars().rev().collect();
            run.contains(text) || back.contains(text)
        })
}

/// The refusal for `password` of the account `identity` (its e-mail
/// address and name), or `None` when it will do.
pub fn weakness(password: &str, identity: &[&str]) -> Option<Weakness> {
    if password.chars().count() < PASSWORD_CHARS_MIN || password.len() > PASSWORD_BYTES_MAX {
        return Some(Weakness::Length);
    }
    let lower = password.to_lowercase();
    let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    let chars: Vec<char> = compact.chars().collect();
    if repeated(&chars) {
        return Some(Weakness::Repeated);
    }
    if is_run(&compact) {
        return Some(Weakness::Run);
    }
    // The stem: letters with look-alikes read, digits and punctuation
    // around it dropped.
    let stem_raw = compact.trim_matches(|c: char| !c.is_alphabetic());
    let read = plain(stem_raw);
    let stem = read.as_str();
    for candidate in [stem, stem_raw] {
        if let Some(common) = COMMON_STEMS.iter().find(|s| {
            candidate == **s || (candidate.len() <= s.len() * 2 && repeated_word(candidate, s))
        }) {
            return Some(Weakness::Common((*common).to_string()));
        }
    }
    for who in identity {
        let who = who.trim().to_lowercase();
        let local = who.split('@').next().unwrap_or("");
        for part in [who.as_str(), local] {
            let part: String = part.chars().filter(|c| c.is_alphanumeric()).collect();
            if part.len() >= 4
                && (stem.contains(&part) || stem_raw.contains(&part))
                && stem.len() <= part.len() + 4
            {
                return Some(Weakness::Personal);
            }
        }
    }
    None
}

/// `text` is `word` written twice or more (e.g. "passwordpassword").
fn repeated_word(text: &str, word: &str) -> bool {
    !word.is_empty()
        && text.len().is_multiple_of(word.len())
        && text.len() > word.len()
        && text
            .as_bytes()
            .chunks(word.len())
            .all(|c| c == word.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_refused_and_passphrases_accepted() {
        for bad in [
            "Password2024!",
            "P@ssw0rd12345",
            "qwerty123456",
            "123456789012",
            "1qaz2wsx3edc",
            "aaaaaaaaaaaa",
            "abcabcabcabc",
            "letmein!!!!!",
            "passwordpassword",
            "iloveyou2026",
            "Welcome123456",
            "zxcvbnm12345",
            "short",
        ] {
            assert!(weakness(bad, &[]).is_some(), "{bad} was accepted");
        }
        for good in [
            "correct horse battery staple",
            "a long passphrase here",
            "collector password",
            "beta owner password",
            "Tr4mpoline-Lagoon",
        ] {
            assert_eq!(weakness(good, &["ann@example.com", "Ann"]), None, "{good}");
        }
    }

    #[test]
    fn the_accounts_own_address_is_refused() {
        assert_eq!(
            weakness(
                "annabelle2026!",
                &["annabelle@example.com", "Annabelle Lee"]
            ),
            Some(Weakness::Personal)
        );
        assert_eq!(weakness("annabelle2026!", &[]), None);
    }

    #[test]
    fn the_length_limits_are_characters_and_bytes() {
        assert_eq!(
            weakness("ünïcödé wörd", &[]),
            None,
            "12 characters, more bytes"
        );
        assert_eq!(weakness(&"x y".repeat(90), &[]), Some(Weakness::Length));
        assert_eq!(
            weakness(&"quite different words ".repeat(2)[..44], &[]),
            None
        );
    }
}
