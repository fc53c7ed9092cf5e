//! Small helpers shared by both exchange front-ends: clocks, query strings, decimals.

use std::collections::HashMap;

/// Wall-clock milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Decodes `a=1&b=x%20y` into a map (last value wins); `+` means a space.
pub fn parse_query(raw: &str) -> HashMap<String, String> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decodes one query component.
pub fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_encoding::percent_decode_str(&s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Exact sum of two non-negative decimal strings ("1.5" + "0.25" = "1.75").
pub fn add_decimal(a: &str, b: &str) -> String {
    let (ai, af) = a.split_once('.').unwrap_or((a, ""));
    let (bi, bf) = b.split_once('.').unwrap_or((b, ""));
    let frac_len = af.len().max(bf.len());
    let int_len = ai.len().max(bi.len());
    let digits = |i: &str, f: &str| -> Vec<u8> {
        let s = format!("{i:0>int_len$}{f:0<frac_len$}");
        s.bytes().map(|c| c - b'0').collect()
    };
    let (x, y) = (digits(ai, af), digits(bi, bf));
    let mut out = vec![0u8; x.len()];
    let mut carry = 0;
    for i in (0..x.len()).rev() {
        let d = x[i] + y[i] + carry;
        out[i] = d % 10;
        carry = d / 10;
    }
    let mut s: String = out.iter().map(|d| (d + b'0') as char).collect();
    if carry > 0 {
        s.insert(0, '1');
    }
    let split = s.len() - frac_len;
    let (int, frac) = s.split_at(split);
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    if frac_len == 0 {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    }
}

/// True when a decimal string is zero ("0", "0.00000000", "").
pub fn is_zero(s: &str) -> bool {
    s.chars().all(|c| c == '0' || c == '.')
}

/// A stable numeric user id derived from an API key (FNV-1a).
pub fn uid_for(api_key: &str) -> u64 {
    let hash = api_key.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    100_000_000 + hash % 900_000_000
}

/// Rough USD price used only for display-only equity fields.
pub fn usd_price(asset: &str) -> f64 {
    match asset {
        "BTC" => 60000.0,
        "ETH" => 3000.0,
        "BNB" => 550.0,
        "OKB" => 45.0,
        "SOL" => 150.0,
        "USDT" | "USDC" => 1.0,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_addition_is_exact() {
        assert_eq!(
            add_decimal("123456789012.12345678", "1500.00000000"),
            "123456790512.12345678"
        );
        assert_eq!(add_decimal("0.00000012", "0"), "0.00000012");
        assert_eq!(add_decimal("9.99", "0.01"), "10.00");
        assert_eq!(add_decimal("5", "7"), "12");
    }

    #[test]
    fn query_decoding() {
        let q = parse_query("a=1&sig=ab%2Bc%3D&b=x+y");
        assert_eq!(q["sig"], "ab+c=");
        assert_eq!(q["b"], "x y");
    }
}
