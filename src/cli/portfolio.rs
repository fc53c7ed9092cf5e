//! What the portfolio holds and is worth: `portfolio`, `history`, `balances`.

use super::*;

/// `keyfolio portfolio`: prices read now, values in decimals, JSON amounts as strings.
pub(super) async fn portfolio(ctx: &Context, format: Format, quote: Option<&str>) -> Result<i32> {
    let quote = match quote {
        None => ctx.config.quote,
        Some(q) => crate::model::Quote::parse(q)
            .ok_or_else(|| usage(format!("--quote {q:?}: use USDT, USD, USDC, EUR or BTC")))?,
    };
    // Through the engine, so the request is spent from the exchange's budget as in the TUI.
    crate::sync::Engine::new(ctx.clone(), None)
        .read_prices()
        .await?;
    let v = ctx.valuation(quote).await?;
    let code = quote.code();
    let decimal = |d: Option<rust_decimal::Decimal>| d.map(|d| d.normalize().to_string());
    if format == Format::Csv {
        let rows = v.assets.iter().map(|a| {
            vec![
                a.asset.clone(),
                a.amount.normalize().to_string(),
                decimal(a.price).unwrap_or_default(),
                decimal(a.value).unwrap_or_default(),
                a.share.map(|s| s.to_string()).unwrap_or_default(),
                code.to_string(),
                a.holders.join("; "),
                a.stale.to_string(),
            ]
        });
        let header = [
            "asset",
            "amount",
            "price",
            "value",
            "share_percent",
            "quote",
            "held_on",
            "stale",
        ];
        print_csv(&header, rows)?;
        return Ok(exit::OK);
    }
    if format == Format::Json {
        let assets: Vec<serde_json::Value> = v
            .assets
            .iter()
            .map(|a| {
                json!({
                    "asset": a.asset, "amount": a.amount.normalize().to_string(),
                    "price": decimal(a.price),
                    "value": decimal(a.value),
                    "share_percent": a.share.map(|s| s.to_string()),
                    "held_on": a.holders, "stale": a.stale,
                    "wallets": a.places.iter().map(|(id, wallet, amount)| json!({
                        "id": id, "wallet": wallet, "amount": amount.normalize().to_string(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        print_json(&json!({
            "quote": code,
            "total": v.total.normalize().to_string(),
            "unpriced": v.unpriced,
            "prices_stale": v.prices_stale,
            "assets": assets,
        }))?;
        return Ok(exit::OK);
    }
    say!(
        "{:<10} {:>24} {:>16} {:>18} {:>8}  held on",
        "asset",
        "amount",
        format!("price {code}"),
        format!("value {code}"),
        "share"
    );
    for a in &v.assets {
        say!(
            "{:<10} {:>24} {:>16} {:>18} {:>8}  {}",
            format!("{}{}", a.asset, if a.stale { "*" } else { "" }),
            display_amount(&a.amount.normalize().to_string()),
            a.price
                .map_or("no price".into(), crate::portfolio::display_price),
            a.value
                .map_or("-".into(), |x| crate::portfolio::display_value(x, quote)),
            a.share.map_or(String::new(), |s| format!("{s:.2}%")),
            a.holders.join(", ")
        );
    }
    say!(
        "total ≈ {} {code}",
        crate::portfolio::display_value(v.total, quote)
    );
    if !v.unpriced.is_empty() {
        say!(
            "no price for {} (left out of the total)",
            v.unpriced.join(", ")
        );
    }
    if v.prices_stale {
        say!("warning: some prices are from before a failed update");
    }
    Ok(exit::OK)
}

/// A duration such as `90m`, `24h` or `7d`.
pub(super) fn parse_duration(text: &str) -> Option<chrono::Duration> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = number.parse().ok()?;
    match unit {
        "m" => Some(chrono::Duration::minutes(n)),
        "h" => Some(chrono::Duration::hours(n)),
        "d" => Some(chrono::Duration::days(n)),
        _ => None,
    }
}

/// `keyfolio history`: the total value series in the configured quote.
pub(super) async fn history(ctx: &Context, format: Format, since: Option<&str>) -> Result<i32> {
    let since = match since {
        None => None,
        Some(s) => Some(
            chrono::Utc::now()
                - parse_duration(s)
                    .ok_or_else(|| usage(format!("--since {s:?}: use e.g. 90m, 24h or 7d")))?,
        ),
    };
    let points = ctx.total_history(since).await?;
    let quote = ctx.config.quote;
    if format == Format::Csv {
        let rows = points.iter().map(|(at, total)| {
            vec![
                at.to_rfc3339(),
                quote.code().to_string(),
                total.normalize().to_string(),
            ]
        });
        print_csv(&["at", "quote", "total"], rows)?;
    } else if format == Format::Json {
        let points: Vec<serde_json::Value> = points
            .iter()
            .map(|(at, total)| json!({ "at": at.to_rfc3339(), "total": total.normalize().to_string() }))
            .collect();
        print_json(&json!({ "quote": quote.code(), "points": points }))?;
    } else if points.is_empty() {
        say!("No value history yet: it is recorded after each good sync.");
    } else {
        for (at, total) in &points {
            say!(
                "{}  {} {}",
                at.to_rfc3339(),
                crate::portfolio::display_value(*total, quote),
                quote.code()
            );
        }
    }
    Ok(exit::OK)
}

pub(super) async fn balances(ctx: &Context, id: Option<i64>, format: Format) -> Result<i32> {
    let connections = ctx.connections().await?;
    let chosen: Vec<_> = connections
        .into_iter()
        .filter(|c| id.is_none_or(|i| c.id == i))
        .collect();
    if let Some(i) = id.filter(|_| chosen.is_empty()) {
        return Err(usage(format!(
            "no connection with id {i}: run `keyfolio list`"
        )));
    }
    let mut out = Vec::new();
    let mut csv_rows = Vec::new();
    for c in &chosen {
        let cid = c.id;
        let (rows, at) = ctx.with_db(move |db| db.latest_balances(cid)).await?;
        let stale = !matches!(status_now(ctx, c), crate::model::Status::Synced);
        if format == Format::Csv {
            csv_rows.extend(rows.iter().map(|b| {
                vec![
                    c.id.to_string(),
                    c.exchange.id().to_string(),
                    c.label.clone(),
                    at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    stale.to_string(),
                    b.wallet.code().to_string(),
                    b.asset.clone(),
                    b.free.clone(),
                    b.used.clone(),
                    b.total.clone(),
                    b.approximate.to_string(),
                ]
            }));
        } else if format == Format::Json {
            out.push(json!({
                "id": c.id, "exchange": c.exchange.id(), "label": c.label,
                "synced_at": at.map(|t| t.to_rfc3339()),
                "stale": stale,
                "balances": rows,
                "unreadable_wallets": c.unreadable_wallets,
            }));
        } else {
            say!(
                "{} · {} (synced {})",
                c.exchange.name(),
                c.label,
                at.map_or("never".into(), |t| t.to_rfc3339())
            );
            for u in &c.unreadable_wallets {
                say!("  {}: not readable with this key", u.wallet.label());
            }
            for b in rows {
                // "≈": more digits were sent than CCXT's f64 amounts keep.
                let mark = if b.approximate { "≈" } else { "" };
                say!(
                    "  {:<10} {:<16} free {:>24}  used {:>20}  total {:>24}",
                    b.asset,
                    b.wallet.label(),
                    format!("{mark}{}", display_amount(&b.free)),
                    format!("{mark}{}", display_amount(&b.used)),
                    format!("{mark}{}", display_amount(&b.total))
                );
            }
        }
    }
    match format {
        Format::Json => print_json(&out)?,
        Format::Csv => {
            let header = [
                "id",
                "exchange",
                "label",
                "synced_at",
                "stale",
                "wallet",
                "asset",
                "free",
                "used",
                "total",
                "approximate",
            ];
            print_csv(&header, csv_rows)?;
        }
        Format::Text => {}
    }
    Ok(exit::OK)
}
