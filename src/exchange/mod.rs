//! The exchange boundary: every byte to or from an exchange goes through here.
pub mod sim;
