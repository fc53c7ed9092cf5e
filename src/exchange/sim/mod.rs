//! A local stand-in for the Binance and OKX private REST APIs.
