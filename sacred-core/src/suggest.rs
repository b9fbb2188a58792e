//! "Did you mean …?" for near-miss keys, commands and flags.

/// The candidate closest to `input`, if it is close enough to be a likely typo.
///
/// Close enough means an edit distance of at most a third of the input's length
/// (at least 1), or that one is a prefix of the other.
pub(crate) fn closest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (input.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != input)
        .map(|c| (distance(input, c), c))
        .filter(|&(d, c)| {
            d <= limit || (input.len() >= 3 && (c.starts_with(input) || input.starts_with(c)))
        })
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// A `did you mean `x`?` hint, or `None` when nothing is close.
pub(crate) fn did_you_mean<'a, I>(input: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(input, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// `did you mean `a` or `b`?` for the full names `candidates` (already chosen), or `None`
/// when there are none.
pub(crate) fn did_you_mean_any(candidates: &[String]) -> Option<String> {
    let quoted: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
    (!quoted.is_empty()).then(|| format!("did you mean {}?", quoted.join(" or ")))
}

/// Levenshtein distance over chars, with adjacent transpositions counted as one edit.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(prev2[j - 2] + 1);
            }
            cur[j] = best;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("lr", "lr"), 0);
        assert_eq!(distance("lr", "rl"), 1);
        assert_eq!(distance("batch_sise", "batch_size"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggests_near_misses_only() {
        let keys = ["batch_size", "lr", "steps", "mode", "seed"];
        assert_eq!(closest("batchsize", keys), Some("batch_size"));
        assert_eq!(closest("lrr", keys), Some("lr"));
        assert_eq!(closest("sted", keys), Some("seed"));
        assert_eq!(closest("optimizer", keys), None);
        assert_eq!(
            did_you_mean("print_confg", ["print_config", "save_config"]),
            Some("did you mean `print_config`?".to_owned())
        );
    }
}
