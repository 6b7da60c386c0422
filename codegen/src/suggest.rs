//! "Did you mean ...?": the known name closest to an unknown one, when one is close enough.

/// The candidate a user most likely meant by `unknown`: equal when case, `_` and `-` are ignored
/// (`partition_key` for `partitionKey`), else the most similar by normalized Damerau-Levenshtein
/// distance, if at least [`MIN_SIMILARITY`] similar. `None` when nothing is close.
pub fn closest<'a>(unknown: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let folded = fold(unknown);
    let mut best: Option<(f64, &'a str)> = None;
    for c in candidates {
        if c == unknown {
            continue;
        }
        let score = if fold(c) == folded {
            2.0
        } else {
            strsim::normalized_damerau_levenshtein(&unknown.to_lowercase(), &c.to_lowercase())
        };
        if score >= MIN_SIMILARITY && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `name` lowercased without `_` and `-`.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether two names differ only in case, `_` and `-` (`partition_key`, `partitionKey`).
pub fn same_spelling(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

/// How similar (0 to 1) a name must be to be suggested.
pub const MIN_SIMILARITY: f64 = 0.7;

/// `did you mean `X`?` for [`closest`], or `None`.
pub fn did_you_mean<'a>(unknown: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(unknown, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        assert_eq!(
            closest("partitionKey", ["version", "partition_key"]),
            Some("partition_key")
        );
        assert_eq!(closest("partition_key", ["partitionKey", "kind"]), Some("partitionKey"));
        assert_eq!(
            closest("compatability", ["compatibility", "name"]),
            Some("compatibility")
        );
        assert_eq!(closest("user_idd", ["user_id", "updated_at"]), Some("user_id"));
        assert_eq!(closest("zzz", ["version", "kind"]), None);
        assert_eq!(closest("x", []), None);
    }
}
