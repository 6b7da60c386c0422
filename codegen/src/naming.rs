//! Case conversion, in one place below every module that names things: the lint's style help
//! and enum value prefixes (the proto front end computes the same prefixes), and the Rust
//! generator's identifiers.
//!
//! Two conversions still live here. [`snake_case`] and [`upper_camel_case`] are heck's, as
//! prost-build's are, so that herald computes the names prost-build generates. [`to_snake`] and
//! [`to_pascal`] are the lint's own, which split words differently after a digit (`A2B`: `A2_B`
//! here, `a2b` for heck); making the lint use heck would change what it reports for such names,
//! so it is a decision of its own (see the test below).

use heck::{ToSnakeCase, ToUpperCamelCase};

/// `userId` → `user_id`, heck's (and prost-build's) snake case, not escaped.
pub fn snake_case(name: &str) -> String {
    name.to_snake_case()
}

/// `user_updated` → `UserUpdated`, heck's (and prost-build's) upper camel case, not escaped.
pub fn upper_camel_case(name: &str) -> String {
    name.to_upper_camel_case()
}

/// `userId` / `UserID` / `user-id` → `user_Id`-style words joined by `_` (case kept).
pub fn to_snake(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c == ' ' {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            continue;
        }
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if (prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower))
                && !out.ends_with('_')
            {
                out.push('_');
            }
        }
        out.push(c);
    }
    out.trim_end_matches('_').to_owned()
}

/// `user_updated` → `UserUpdated`.
pub fn to_pascal(name: &str) -> String {
    to_snake(name)
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(first) => first.to_uppercase().collect::<String>() + &cs.as_str().to_lowercase(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_conversion() {
        assert_eq!(to_snake("userId").to_lowercase(), "user_id");
        assert_eq!(to_snake("HTTPServer").to_lowercase(), "http_server");
        assert_eq!(to_pascal("user_updated"), "UserUpdated");
        assert_eq!(snake_case("userId"), "user_id");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(upper_camel_case("user_updated"), "UserUpdated");
    }

    /// Where the lint's conversion and heck's still disagree: an uppercase letter after a digit.
    #[test]
    fn lint_and_heck_differ_after_digits() {
        assert_eq!(to_snake("A2B"), "A2_B");
        assert_eq!(snake_case("A2B"), "a2b");
        assert_eq!(to_snake("aB1C"), "a_B1_C");
        assert_eq!(snake_case("aB1C"), "a_b1c");
    }
}
