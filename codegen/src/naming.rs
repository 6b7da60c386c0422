//! Case conversion, in one place below every module that names things: the lint's style help
//! and enum value prefixes (the proto front end computes the same prefixes), and the Rust
//! generator's identifiers. Every conversion is heck's, as prost-build's are, so that herald
//! computes the names prost-build generates and the lint suggests the same words; an uppercase
//! letter right after a digit starts no new word (`A2B` → `a2b`, `A2B`), as in buf's lint.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// `userId` → `user_id`, heck's (and prost-build's) snake case, not escaped.
pub fn snake_case(name: &str) -> String {
    name.to_snake_case()
}

/// `user_updated` → `UserUpdated`, heck's (and prost-build's) upper camel case, not escaped.
pub fn upper_camel_case(name: &str) -> String {
    name.to_upper_camel_case()
}

/// `UserStatus` → `USER_STATUS`, heck's shouty snake case: enum value prefixes.
pub fn shouty_snake_case(name: &str) -> String {
    name.to_shouty_snake_case()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_conversion() {
        assert_eq!(snake_case("userId"), "user_id");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("user-id"), "user_id");
        assert_eq!(upper_camel_case("user_updated"), "UserUpdated");
        assert_eq!(upper_camel_case("HTTPServer"), "HttpServer");
        assert_eq!(shouty_snake_case("UserStatus"), "USER_STATUS");
        assert_eq!(shouty_snake_case("HTTP2Status"), "HTTP2_STATUS");
    }

    /// After a digit an uppercase letter starts no new word, as in buf's lint (`A2B` is its own
    /// enum value prefix `A2B_`).
    #[test]
    fn digits_join_the_next_letter() {
        assert_eq!(snake_case("A2B"), "a2b");
        assert_eq!(shouty_snake_case("A2B"), "A2B");
        assert_eq!(snake_case("aB1C"), "a_b1c");
    }
}
