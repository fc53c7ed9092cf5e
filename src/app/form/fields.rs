//! Which rows and regions a key form shows for its exchange, and their names in the
//! exchange's own words.

use super::{Field, KeyForm};
use crate::model::profile::{Region, profile};

impl KeyForm {
    /// The rows of this exchange's form, in focus order.
    pub fn fields(&self) -> Vec<Field> {
        // Replace mode keeps the connection's label: it is in the title, not asked.
        let mut fields = if self.replacing.is_some() {
            vec![Field::ApiKey, Field::Secret]
        } else {
            vec![Field::Label, Field::ApiKey, Field::Secret]
        };
        if self.exchange.needs_passphrase() {
            fields.push(Field::Passphrase);
        }
        if self.exchange.needs_uid() {
            fields.push(Field::Uid);
        }
        fields.extend([
            Field::Region,
            Field::CustomUrl,
            Field::Testnet,
            Field::Validate,
        ]);
        fields
    }

    /// A field's name in this exchange's words ("API key name" and "Private key" for
    /// Coinbase, "Passphrase" for OKX).
    pub fn label(&self, field: Field) -> &'static str {
        use crate::model::CredentialField as C;
        let credential = match field {
            Field::ApiKey => C::ApiKey,
            Field::Secret => C::Secret,
            Field::Passphrase => C::Password,
            Field::Uid => C::Uid,
            _ => return field.name(),
        };
        credential.word(self.exchange)
    }

    pub fn regions(&self) -> &'static [Region] {
        profile(self.exchange).regions
    }

    pub fn region(&self) -> Region {
        self.regions()[self.region]
    }

    pub(super) fn region_name(&self) -> &'static str {
        self.region().name
    }

    pub(super) fn cycle_region(&mut self, forward: bool) {
        let n = self.regions().len();
        self.region = if forward {
            (self.region + 1) % n
        } else {
            (self.region + n - 1) % n
        };
        self.errors[Field::CustomUrl.index()] = None;
    }

    pub(super) fn select_custom(&mut self) {
        if let Some(i) = self.regions().iter().position(|r| r.custom) {
            self.region = i;
        }
    }
}
