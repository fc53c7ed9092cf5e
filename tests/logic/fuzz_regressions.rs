//! Inputs the fuzz campaign (README: Development, Fuzzing) found to break a target, each
//! replayed through the code it broke, with the target's check.

use keyfolio::exchange::parse;

/// A CCXT unified balance whose total is an f64 of 97 digits: written out, it was no
/// decimal keyfolio can add, so the portfolio could not sum it. Found by `parse_answers`.
#[test]
fn a_unified_total_beyond_a_decimal_is_an_unexpected_answer() {
    let body: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../fixtures/fuzz/parse_answers-total-beyond-decimal.json"
    ))
    .unwrap();
    let why = parse::unified_balances(&body).expect_err("no balance with that total");
    assert!(why.contains("not a decimal"), "{why}");
}

/// The same answer with the total in range still parses, the amount kept as written.
#[test]
fn a_unified_total_in_range_still_parses() {
    let mut body: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../fixtures/fuzz/parse_answers-total-beyond-decimal.json"
    ))
    .unwrap();
    for part in ["free", "used", "total"] {
        if let Some(amounts) = body.get_mut(part).and_then(|v| v.as_object_mut()) {
            for amount in amounts.values_mut() {
                if amount.as_f64().is_some_and(|x| x.abs() > 1e20) {
                    *amount = serde_json::json!(3.5);
                }
            }
        }
    }
    let list = parse::unified_balances(&body).expect("parses");
    assert!(!list.is_empty());
    for b in &list {
        assert!(
            keyfolio::model::add_decimals([b.total.as_str()]).is_some(),
            "{b:?}"
        );
    }
}
