//! Tokens and prices: one table, the cost of an alert and of a run.

use crate::anthropic::Usage;
use crate::report::TokenUsage;

/// USD per million tokens: (model id prefix, input, output). Cache writes cost 1.25× input
/// (5-minute TTL) and cache reads 0.1× input. Update here when prices move.
pub const PRICES: &[(&str, f64, f64)] = &[
    ("claude-opus-4-5", 5.0, 25.0),
    ("claude-opus-4-6", 5.0, 25.0),
    ("claude-sonnet-4-6", 3.0, 15.0),
    ("claude-sonnet-4-5", 3.0, 15.0),
    ("claude-haiku-4-5", 1.0, 5.0),
];

/// The estimated cost of `usage` on `model`; `None` for a model not in the table.
pub fn estimate_cost(model: &str, usage: &Usage) -> Option<f64> {
    let (_, input, output) = PRICES
        .iter()
        .filter(|(prefix, _, _)| model.starts_with(prefix))
        .max_by_key(|(prefix, _, _)| prefix.len())?;
    let m = 1_000_000.0;
    Some(
        usage.input_tokens as f64 * input / m
            + usage.cache_creation_input_tokens as f64 * input * 1.25 / m
            + usage.cache_read_input_tokens as f64 * input * 0.1 / m
            + usage.output_tokens as f64 * output / m,
    )
}

pub fn token_usage(model: &str, usage: &Usage) -> TokenUsage {
    TokenUsage {
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        estimated_cost_usd: estimate_cost(model, usage),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_uses_the_table_and_cache_multipliers() {
        let u = Usage {
            input_tokens: 1_000_000,
            output_tokens: 100_000,
            cache_creation_input_tokens: 1_000_000,
            cache_read_input_tokens: 1_000_000,
        };
        let c = estimate_cost("claude-sonnet-4-6", &u).unwrap();
        assert!((c - (3.0 + 1.5 + 3.75 + 0.3)).abs() < 1e-9, "{c}");
        assert!(estimate_cost("claude-haiku-4-5-20251001", &u).is_some());
        assert_eq!(estimate_cost("llama3", &u), None);
    }
}
