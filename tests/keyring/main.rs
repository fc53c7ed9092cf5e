//! The Secret Service: a round trip through the real gnome-keyring, a locked keyring (in a
//! private D-Bus session), no keyring at all.
//! One test binary per group (README, Development, Tests): each links keyfolio and CCXT
//! once.

mod absent;
mod locked;
mod round_trip;
