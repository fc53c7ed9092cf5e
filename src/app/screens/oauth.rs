//! The OAuth sign-in window: which flow, where the sign-in stands, and each step's keys.

use super::Outcome;
use crate::app::action::{ConnectOutcome, Effect};
use crate::app::keys::Intent;
use crate::app::state::State;
use crate::model::ExchangeId;
use crate::oauth::FlowKind;

/// The OAuth sign-in window.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthView {
    pub exchange: ExchangeId,
    pub flows: Vec<FlowKind>,
    pub flow: FlowKind,
    pub phase: OAuthPhase,
    /// Signing in again for this connection, rather than creating one.
    pub reauthorize: Option<i64>,
}

/// Where a sign-in stands.
#[derive(Debug, Clone, PartialEq)]
pub enum OAuthPhase {
    Choose,
    Starting,
    /// Waiting for the browser; the URL is shown for copying when no browser opened.
    Browser {
        url: String,
        opened: bool,
    },
    /// Waiting for the trader to enter the code on another device.
    Device {
        uri: String,
        code: String,
    },
    Failed(String),
    Saved {
        label: String,
        assets: usize,
    },
}

impl OAuthView {
    /// The window at its first step, for an exchange that offers OAuth (else `None`);
    /// `reauthorize`: signing in again for this connection.
    pub fn offered(state: &State, exchange: ExchangeId, reauthorize: Option<i64>) -> Option<Self> {
        let offer = state.oauth_offer(exchange)?;
        Some(Self {
            exchange,
            flows: offer.flows.clone(),
            flow: offer.preferred,
            phase: OAuthPhase::Choose,
            reauthorize,
        })
    }

    /// The intents the current step reads (`demo`: the simulator can approve a sign-in).
    pub fn intents(&self, demo: bool) -> &'static [Intent] {
        match &self.phase {
            OAuthPhase::Choose if self.reauthorize.is_none() => &[
                Intent::SwitchFlow,
                Intent::SignIn,
                Intent::UseApiKey,
                Intent::Cancel,
            ],
            OAuthPhase::Choose => &[Intent::SwitchFlow, Intent::SignIn, Intent::Cancel],
            OAuthPhase::Browser { .. } | OAuthPhase::Device { .. } if demo => {
                &[Intent::Approve, Intent::Cancel]
            }
            OAuthPhase::Failed(_) => &[Intent::Retry, Intent::Cancel],
            OAuthPhase::Saved { .. } => &[Intent::SignIn, Intent::Cancel],
            _ => &[Intent::Cancel],
        }
    }

    /// The sign-in runs: started, or waiting for the browser or the other device.
    pub fn waiting(&self) -> bool {
        matches!(
            self.phase,
            OAuthPhase::Starting | OAuthPhase::Browser { .. } | OAuthPhase::Device { .. }
        )
    }

    /// How the sign-in ended.
    pub fn finished(&mut self, outcome: ConnectOutcome) {
        self.phase = match outcome {
            ConnectOutcome::Saved { label, assets, .. } => OAuthPhase::Saved { label, assets },
            ConnectOutcome::Rejected(f) => {
                OAuthPhase::Failed(format!("{f}. {}", f.kind.fix(self.exchange)))
            }
            ConnectOutcome::WithdrawRisk(_) => {
                OAuthPhase::Failed("the sign-in grants withdrawals".into())
            }
            ConnectOutcome::Refused(why) => OAuthPhase::Failed(why),
        };
    }

    /// `intent`: one of [`OAuthView::intents`]; `labels_in_use` name a new connection.
    pub fn on_key(&mut self, intent: Option<Intent>, labels_in_use: &[String]) -> Outcome {
        match (&self.phase, intent) {
            (OAuthPhase::Choose, Some(Intent::SwitchFlow)) => {
                let at = self.flows.iter().position(|f| *f == self.flow).unwrap_or(0);
                self.flow = self.flows[(at + 1) % self.flows.len()];
                Outcome::Stay
            }
            (OAuthPhase::Choose, Some(Intent::SignIn)) => {
                self.phase = OAuthPhase::Starting;
                Outcome::Run(vec![Effect::StartOAuth {
                    exchange: self.exchange,
                    flow: self.flow,
                    label: crate::model::default_label(self.exchange, labels_in_use),
                    reauthorize: self.reauthorize,
                }])
            }
            (OAuthPhase::Choose, Some(Intent::UseApiKey)) => Outcome::KeyForm(self.exchange),
            (OAuthPhase::Browser { url, .. }, Some(Intent::Approve)) => {
                Outcome::Run(vec![Effect::DemoApprove { url: url.clone() }])
            }
            (OAuthPhase::Device { code, .. }, Some(Intent::Approve)) => {
                Outcome::Run(vec![Effect::DemoApproveDevice { code: code.clone() }])
            }
            (OAuthPhase::Failed(_), Some(Intent::Retry)) => {
                self.phase = OAuthPhase::Choose;
                Outcome::Stay
            }
            (OAuthPhase::Saved { .. }, Some(Intent::SignIn | Intent::Cancel)) => Outcome::Close,
            (
                OAuthPhase::Starting | OAuthPhase::Browser { .. } | OAuthPhase::Device { .. },
                Some(Intent::Cancel),
            ) => Outcome::CloseAnd(vec![Effect::CancelConnect]),
            (_, Some(Intent::Cancel)) => Outcome::Close,
            _ => Outcome::Stay,
        }
    }
}
