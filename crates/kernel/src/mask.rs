//! Display masking for C2 data (JR/T 0171-2020, PCI DSS): card `622575******1496`,
//! phone `138****5678`, name `张*`. Input that does not look as expected is masked entirely.

/// Shortest and longest PAN (ISO/IEC 7812) that is shown as first 6 + last 4.
const PAN_DIGITS: std::ops::RangeInclusive<usize> = 12..=19;
/// Shortest and longest phone number (E.164 allows 15 digits) shown as first 3 + last 4.
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;

/// Masks a card number to its first 6 and last 4 digits: `622575******1496`.
pub fn mask_pan(pan: &str) -> String {
    keep_ends(pan, PAN_DIGITS, 6, 4)
}

/// Masks a phone number to its first 3 and last 4 digits: `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    keep_ends(phone, PHONE_DIGITS, 3, 4)
}

/// Masks a name to its first character: `张*`, `欧***`; a one-character name becomes `*`.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match (chars.next(), chars.count()) {
        (Some(first), rest) if rest > 0 => std::iter::once(first).chain(stars(rest)).collect(),
        (first, _) => stars(usize::from(first.is_some())).collect(),
    }
}

/// Keeps `head` and `tail` digits of an all-ASCII-digit `text` whose length is in `digits`;
/// masks every character of anything else.
fn keep_ends(
    text: &str,
    digits: std::ops::RangeInclusive<usize>,
    head: usize,
    tail: usize,
) -> String {
    let len = text.len();
    if digits.contains(&len) && text.bytes().all(|b| b.is_ascii_digit()) {
        let middle = stars(len - head - tail).collect::<String>();
        format!("{}{middle}{}", &text[..head], &text[len - tail..])
    } else {
        stars(text.chars().count()).collect()
    }
}

fn stars(n: usize) -> impl Iterator<Item = char> {
    std::iter::repeat_n('*', n)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mask_pan_keeps_first_six_and_last_four() {
        assert_eq!(mask_pan("6225751234561496"), "622575******1496");
        assert_eq!(mask_pan("622575123456"), "622575**3456");
        assert_eq!(mask_pan("6225751234567890123"), "622575*********0123");
    }

    #[test]
    fn mask_pan_masks_everything_that_is_not_a_pan() {
        assert_eq!(mask_pan("62257512345"), "***********");
        assert_eq!(mask_pan("62257512345678901234"), "********************");
        assert_eq!(mask_pan("6225 7512 3456 1496"), "*******************");
        assert_eq!(
            mask_pan("６２２５７５１２３４５６１４９６"),
            "****************"
        );
        assert_eq!(mask_pan(""), "");
    }

    #[test]
    fn mask_phone_keeps_first_three_and_last_four() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+8613812345678"), "**************");
        assert_eq!(mask_phone("1234567"), "*******");
    }

    #[test]
    fn mask_name_keeps_only_the_first_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("张"), "*");
        assert_eq!(mask_name(""), "");
    }

    proptest! {
        #[test]
        fn mask_pan_never_shows_the_middle_digits(pan in "[0-9]{12,19}") {
            let masked = mask_pan(&pan);
            prop_assert_eq!(masked.len(), pan.len());
            prop_assert_eq!(&masked[..6], &pan[..6]);
            prop_assert_eq!(&masked[pan.len() - 4..], &pan[pan.len() - 4..]);
            prop_assert!(masked[6..pan.len() - 4].bytes().all(|b| b == b'*'));
        }

        #[test]
        fn mask_name_keeps_the_character_count(name in "\\PC{0,12}") {
            prop_assert_eq!(mask_name(&name).chars().count(), name.chars().count());
        }
    }
}
